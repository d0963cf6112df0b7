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
  cipher: [
    'chacha20-poly1305@openssh.com',
    'aes256-gcm@openssh.com',
    'aes128-gcm@openssh.com',
    'aes256-ctr',
    'aes192-ctr',
    'aes128-ctr',
  ],
  hmac: ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com'],
  compress: ['none'],
} as const;
