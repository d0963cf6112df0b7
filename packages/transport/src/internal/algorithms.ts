// Other packages compile this file from source: the reference brings the declaration of ssh2's untyped constants module along.
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./ssh2-constants.d.ts" />
import ssh2Constants from 'ssh2/lib/protocol/constants.js';

const AES_GCM = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'] as const;
const CHACHA = 'chacha20-poly1305@openssh.com';
const AES_CTR = ['aes256-ctr', 'aes192-ctr', 'aes128-ctr'] as const;

/**
 * AES-GCM first where the CPU has AES instructions, chacha20-poly1305 first where it has not. ssh2
 * makes the same call for its own defaults with cpu-features, and puts chacha20-poly1305 first
 * exactly when cpu-features reports no AES instructions: that order is read here, not guessed again.
 * Without cpu-features (an optional dependency of ssh2) AES-GCM stays first, as ssh2 does.
 */
export function cipherOrder(ssh2Defaults: readonly string[]): string[] {
  return ssh2Defaults[0] === CHACHA ? [CHACHA, ...AES_GCM, ...AES_CTR] : [...AES_GCM, CHACHA, ...AES_CTR];
}

/**
 * The hardened profile offered to servers unless the caller passes `algorithms`. Each list is an
 * exact order, given to ssh2 as an array (ssh2's `prepend`/`append` forms would keep its defaults).
 *
 * Left out, with why: SHA-1 anywhere (`diffie-hellman-group14-sha1`, `ssh-rsa`, `hmac-sha1*`), NIST
 * curves for key exchange (`ecdh-sha2-nistp*`), CBC and RC4 ciphers, MACs over plaintext
 * (encrypt-and-MAC) where an encrypt-then-MAC form exists, 2048-bit and negotiated DH groups.
 * Strict KEX (`kex-strict-c-v00@openssh.com`, the Terrapin fix) is added by ssh2 itself.
 * Host-key algorithms come from known_hosts (`KnownHosts.hostKeyAlgorithms`): ECDSA only for a
 * host whose known key is ECDSA.
 */
export const HARDENED_ALGORITHMS = {
  kex: ['curve25519-sha256', 'curve25519-sha256@libssh.org', 'diffie-hellman-group16-sha512', 'diffie-hellman-group18-sha512'],
  cipher: cipherOrder(ssh2Constants.DEFAULT_CIPHER),
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'],
  compress: ['none'],
} as const;
