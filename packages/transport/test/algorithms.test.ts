import { describe, expect, it } from 'vitest';
import { cipherOrder, HARDENED_ALGORITHMS } from '../src/internal/algorithms.js';

describe('the cipher order', () => {
  it('puts AES-GCM first where ssh2 found AES instructions (its defaults start with AES)', () => {
    expect(cipherOrder(['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com', 'aes128-ctr', 'chacha20-poly1305@openssh.com'])).toEqual([
      'aes128-gcm@openssh.com',
      'aes256-gcm@openssh.com',
      'chacha20-poly1305@openssh.com',
      'aes256-ctr',
      'aes192-ctr',
      'aes128-ctr',
    ]);
  });

  it('puts chacha20-poly1305 first where cpu-features reported no AES instructions (ssh2 puts it first then)', () => {
    expect(cipherOrder(['chacha20-poly1305@openssh.com', 'aes128-gcm@openssh.com'])[0]).toBe('chacha20-poly1305@openssh.com');
  });

  it('offers the same six ciphers either way, none CBC', () => {
    expect([...HARDENED_ALGORITHMS.cipher].sort()).toEqual(
      ['aes128-ctr', 'aes128-gcm@openssh.com', 'aes192-ctr', 'aes256-ctr', 'aes256-gcm@openssh.com', 'chacha20-poly1305@openssh.com'],
    );
  });
});
