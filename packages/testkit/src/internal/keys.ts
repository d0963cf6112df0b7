import { createHash, generateKeyPair } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { runOk } from './proc.js';

/**
 * A host key of a fixture's sshd.
 *
 * @example
 * ```ts
 * const ed25519 = fixture.hostKeys.find((k) => k.type === 'ssh-ed25519');
 * expect(result.fingerprint).toBe(ed25519?.fingerprint);
 * ```
 */
export interface HostKey {
  /** The key's SSH type name, e.g. `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`. */
  type: string;
  /** The public key blob (the base64 field of a known_hosts line, decoded). */
  blob: Buffer;
  /** `SHA256:` fingerprint as OpenSSH prints it (base64, no padding). */
  fingerprint: string;
}

export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export async function generateKey(
  sshKeygen: string,
  path: string,
  type: 'ed25519' | 'ecdsa' | 'rsa',
  passphrase = '',
): Promise<HostKey> {
  // -N takes the passphrase as an argument: acceptable for a throwaway test key in a root-only file.
  const args = ['-q', '-t', type, '-N', passphrase, '-C', 'ssh-docker-testkit', '-f', path];
  if (type === 'rsa') args.splice(3, 0, '-b', '3072');
  await runOk(sshKeygen, args);
  return readPublicKey(`${path}.pub`);
}

export async function readPublicKey(path: string): Promise<HostKey> {
  const [type = '', base64 = ''] = (await readFile(path, 'utf8')).trim().split(/\s+/);
  const blob = Buffer.from(base64, 'base64');
  return { type, blob, fingerprint: fingerprint(blob) };
}

/** `[host]:port` for non-22 ports, as OpenSSH writes known_hosts names; the bare host for 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function knownHostsText(host: string, port: number, keys: readonly HostKey[]): string {
  const name = knownHostsName(host, port);
  return keys.map((key) => `${name} ${key.type} ${key.blob.toString('base64')}\n`).join('');
}

/** RFC 4251 string: a 32-bit big-endian length, then the bytes. */
export function sshString(value: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(value.length);
  return Buffer.concat([length, value]);
}

/** RFC 4251 mpint from an unsigned big-endian integer: a leading zero byte when the top bit is set. */
export function mpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const trimmed = unsigned.subarray(start);
  return sshString((trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.alloc(1), trimmed]) : trimmed);
}

interface RsaPair {
  pem: string;
  blob: Buffer;
}

function makeRsa(): Promise<RsaPair> {
  return new Promise((resolve, reject) => {
    // RSA is the slow key to make (ssh-keygen takes seconds on a busy machine): Node makes it in
    // its thread pool, and the next one is made ahead while the current fixture starts.
    generateKeyPair('rsa', { modulusLength: 2048 }, (err, publicKey, privateKey) => {
      if (err) {
        reject(err);
        return;
      }
      const jwk = publicKey.export({ format: 'jwk' });
      const e = Buffer.from(jwk.e ?? '', 'base64url');
      const n = Buffer.from(jwk.n ?? '', 'base64url');
      resolve({
        // PKCS#1 PEM: sshd reads it as a HostKey (through OpenSSL), as older ssh-keygen wrote them.
        pem: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
        blob: Buffer.concat([sshString(Buffer.from('ssh-rsa')), mpint(e), mpint(n)]),
      });
    });
  });
}

let nextRsa: Promise<RsaPair> | undefined;

/** Writes an RSA host key (private PEM at `path`, `.pub` beside it) and starts making the next one. */
export async function generateRsaHostKey(path: string): Promise<HostKey> {
  const pending = nextRsa ?? makeRsa();
  nextRsa = makeRsa();
  nextRsa.catch(() => {
    nextRsa = undefined;
  });
  const { pem, blob } = await pending;
  await writeFile(path, pem, { mode: 0o600 });
  await writeFile(`${path}.pub`, `ssh-rsa ${blob.toString('base64')} ssh-docker-testkit\n`, { mode: 0o644 });
  return { type: 'ssh-rsa', blob, fingerprint: fingerprint(blob) };
}
