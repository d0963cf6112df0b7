import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
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
