import { randomBytes } from 'node:crypto';
import { decodeBase64Strict } from './internal/base64.js';
import { hashDigest } from './internal/line.js';
import { lowerAscii } from './internal/match.js';
import { decodeKeyBlob, sha256Fingerprint } from './internal/wire.js';

/**
 * The SHA-256 fingerprint of a public key, exactly as `ssh-keygen -lf` prints it:
 * `SHA256:` followed by the unpadded base64 of the SHA-256 of the key blob.
 *
 * @param key - the SSH wire-format blob (what ssh2 gives `hostVerifier`), its base64 text, or an
 *   OpenSSH public-key line (`ssh-ed25519 AAAA… comment`).
 * @throws TypeError when the key does not decode as an SSH public key.
 * @example
 * ```ts
 * import { fingerprint } from '@ssh-docker/hostkeys';
 * fingerprint(readFileSync('/etc/ssh/ssh_host_ed25519_key.pub', 'utf8'));
 * // 'SHA256:R+MnGZbPyQdJIixBOkSHrBX38E3bxFA/6wQ0Zdnpwz8'
 * ```
 */
export function fingerprint(key: Uint8Array | string): string {
  let blob: Buffer | undefined;
  if (typeof key === 'string') {
    const fields = key.trim().split(/[ \t]+/);
    const b64 = fields.length >= 2 ? fields[1] : fields[0];
    blob = b64 === undefined ? undefined : decodeBase64Strict(b64);
  } else if (key instanceof Uint8Array) {
    blob = Buffer.from(key.buffer, key.byteOffset, key.byteLength);
  } else {
    throw new TypeError('key must be a public-key blob, its base64, or a public-key line');
  }
  const decoded = blob === undefined ? undefined : decodeKeyBlob(blob);
  if (decoded === undefined) throw new TypeError('key is not an SSH public key that OpenSSH would accept');
  return sha256Fingerprint(decoded.blob);
}

/**
 * Hashes a host name for known_hosts as `ssh-keygen -H` writes it:
 * `|1|base64(salt)|base64(HMAC-SHA1(key = salt, message = name))` (sshd(8), hostfile.c `host_hash`).
 * The name is lower-cased first, as ssh(1) and `ssh-keygen -H` do; pass `[host]:port` for a
 * port other than 22.
 *
 * @param salt - 20 bytes; random when omitted.
 * @throws TypeError for an empty name, RangeError for a salt that is not 20 bytes.
 * @example
 * ```ts
 * import { hashHostName } from '@ssh-docker/hostkeys';
 * hashHostName('[docker.example.com]:2222'); // '|1|Wm9…=|q1…='
 * ```
 */
export function hashHostName(name: string, salt?: Uint8Array): string {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('name must be a non-empty string');
  const s = salt === undefined ? randomBytes(20) : Buffer.from(salt);
  if (s.length !== 20) throw new RangeError('salt must be exactly 20 bytes (one SHA-1 HMAC block, hostfile.c)');
  return `|1|${s.toString('base64')}|${hashDigest(s, lowerAscii(name))}`;
}
