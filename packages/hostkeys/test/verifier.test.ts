import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createHostKeyVerifier, KnownHosts } from '../src/index.js';
import { blob, line, vectors } from './helpers.js';

const fpA = vectors.keys.A.fingerprint;
const fpB = vectors.keys.B.fingerprint;
const fpX = vectors.keys.X.fingerprint;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createHostKeyVerifier, strict (the default)', () => {
  test('a known key is accepted and the decision says why', () => {
    const knownHosts = KnownHosts.parse(line('[myhost]:2222', 'A'), { source: 'kh' });
    const v = createHostKeyVerifier({ knownHosts, host: 'myhost', port: 2222 });
    expect(v.decision).toBeUndefined();
    expect(v.hostVerifier(blob('A'))).toBe(true);
    expect(v.decision).toMatchObject({ policy: 'strict', accepted: true, outcome: 'known', result: { status: 'trusted' } });
    expect(v.decision?.error).toBeUndefined();
    expect(v.hostKeyAlgorithms).toEqual(['ssh-ed25519', 'rsa-sha2-512', 'rsa-sha2-256']);
  });

  test('an unknown key is refused with ERR_HOST_KEY_UNKNOWN and the commands to verify and add it', () => {
    const knownHosts = KnownHosts.parse('', { source: 'kh' });
    const v = createHostKeyVerifier({ knownHosts, host: 'myhost', port: 2222 });
    expect(v.hostVerifier(blob('A'))).toBe(false);
    const err = v.decision?.error;
    expect(err?.code).toBe('ERR_HOST_KEY_UNKNOWN');
    expect(err?.message).toBe(
      `No ssh-ed25519 host key is known for [myhost]:2222 (myhost port 2222) and strict host key checking is on (OpenSSH StrictHostKeyChecking yes). The server offered ssh-ed25519 ${fpA}.\n` +
        'Verify it out of band, then add it:\n' +
        `  ssh-keyscan -p 2222 -t ed25519 myhost | ssh-keygen -lf -    # compare with ${fpA}\n` +
        '  ssh-keyscan -H -p 2222 -t ed25519 myhost >> ~/.ssh/known_hosts\n' +
        'or connect once with: ssh -o StrictHostKeyChecking=accept-new -p 2222 myhost',
    );
    expect(err).toMatchObject({ name: 'HostKeyError', host: 'myhost', port: 2222, lookupName: '[myhost]:2222', fingerprint: fpA, matches: [] });
    expect(err?.presented).toEqual({ keyType: 'ssh-ed25519', fingerprint: fpA });
  });

  test('an unknown key whose name has an @cert-authority line says the CA cannot vouch', () => {
    const knownHosts = KnownHosts.parse(`@cert-authority ${line('*.example.com', 'X')}`, { source: 'kh' });
    const v = createHostKeyVerifier({ knownHosts, host: 'web.example.com' });
    expect(v.hostVerifier(blob('B'))).toBe(false);
    expect(v.decision?.error?.code).toBe('ERR_HOST_KEY_UNKNOWN');
    expect(v.decision?.error?.message).toBe(
      `No ssh-rsa host key is known for web.example.com (web.example.com) and strict host key checking is on (OpenSSH StrictHostKeyChecking yes). The server offered ssh-rsa ${fpB}.\n` +
        'Verify it out of band, then add it:\n' +
        `  ssh-keyscan -t rsa web.example.com | ssh-keygen -lf -    # compare with ${fpB}\n` +
        '  ssh-keyscan -H -t rsa web.example.com >> ~/.ssh/known_hosts\n' +
        'or connect once with: ssh -o StrictHostKeyChecking=accept-new web.example.com\n' +
        'An @cert-authority line names this host (kh:1), but host certificates are not supported (ssh2 has none), so the CA cannot vouch for the key: add the host key itself.',
    );
  });

  test('a changed key is refused with ERR_HOST_KEY_CHANGED, both fingerprints, file:line and ssh-keygen -R', () => {
    const knownHosts = KnownHosts.parse(`# x\n${line('myhost', 'X')}`, { source: '/home/me/.ssh/known_hosts' });
    const v = createHostKeyVerifier({ knownHosts, host: 'myhost' });
    expect(v.hostVerifier(blob('A'))).toBe(false);
    const err = v.decision?.error;
    expect(err?.code).toBe('ERR_HOST_KEY_CHANGED');
    expect(err?.message).toBe(
      'WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for myhost (myhost).\n' +
        `The server offered ssh-ed25519 ${fpA}, but known_hosts lists other keys for this name (a key of another type counts as changed, as in OpenSSH):\n` +
        `  /home/me/.ssh/known_hosts:2: ssh-ed25519 ${fpX}\n` +
        "Someone may be intercepting the connection (man-in-the-middle), or the host key was replaced. Confirm the new fingerprint with the host's administrator. If it is legitimate, remove the old entries:\n" +
        '  ssh-keygen -R myhost -f /home/me/.ssh/known_hosts\n' +
        'then add the new key (ssh-keyscan -H myhost >> ~/.ssh/known_hosts). The connection is refused until then.',
    );
    expect(err?.matches.map((m) => [m.source, m.line, m.fingerprint])).toEqual([['/home/me/.ssh/known_hosts', 2, fpX]]);
  });

  test('a revoked key is refused with ERR_HOST_KEY_REVOKED, even next to a good line', () => {
    const knownHosts = KnownHosts.parse(`${line('myhost', 'A')}\n@revoked ${line('*', 'A')}`, { source: 'kh' });
    const v = createHostKeyVerifier({ knownHosts, host: 'myhost', port: 22 });
    expect(v.hostVerifier(blob('A'))).toBe(false);
    expect(v.decision?.error?.code).toBe('ERR_HOST_KEY_REVOKED');
    expect(v.decision?.error?.message).toBe(
      `The ssh-ed25519 host key offered by myhost (${fpA}) is marked @revoked in kh:2; a revoked key is refused whatever other lines say (sshd(8) SSH_KNOWN_HOSTS FILE FORMAT). Ask the host's administrator for its current key.`,
    );
  });

  test('a host name that needs quoting is quoted in the advice', () => {
    const v = createHostKeyVerifier({ knownHosts: KnownHosts.parse(''), host: "we'ird" });
    v.hostVerifier(blob('A'));
    expect(v.decision?.error?.message).toContain(`ssh-keyscan -t ed25519 'we'\\''ird' | ssh-keygen -lf -`);
  });

  test('a blob that is not a key is refused, never thrown into ssh2', () => {
    const v = createHostKeyVerifier({ knownHosts: KnownHosts.parse(''), host: 'myhost' });
    expect(v.hostVerifier(Buffer.from('garbage'))).toBe(false);
    expect(v.decision?.error?.code).toBe('ERR_HOST_KEY_UNKNOWN');
    expect(v.decision?.error?.message).toBe(
      'The host key offered by myhost port 22 is not a public key OpenSSH would accept; the connection is refused.',
    );
  });

  test('after a key was accepted, a different key on re-key is refused', () => {
    const knownHosts = KnownHosts.parse(`${line('myhost', 'A')}\n${line('myhost', 'B')}`, { source: 'kh' });
    const v = createHostKeyVerifier({ knownHosts, host: 'myhost' });
    expect(v.hostVerifier(blob('A'))).toBe(true);
    expect(v.hostVerifier(blob('A'))).toBe(true);
    expect(v.hostVerifier(blob('B'))).toBe(false);
    expect(v.decision?.error?.code).toBe('ERR_HOST_KEY_CHANGED');
    expect(v.decision?.error?.message).toBe(
      `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED during a re-key with myhost: the key was ssh-ed25519 ${fpA}, now ssh-rsa ${fpB}. A server's host key cannot change within one connection; the connection is refused.`,
    );
  });

  test('options mistakes are TypeErrors', () => {
    expect(() => createHostKeyVerifier({ host: 'h' })).toThrow(new TypeError('knownHosts is required for the strict policy (use KnownHosts.load)'));
    expect(() => createHostKeyVerifier({ host: 'h', policy: 'yes' as 'strict' })).toThrow(
      new TypeError("policy must be 'strict', 'accept-new', 'insecure-accept-any' or { pinned: [...] }"),
    );
    expect(() => createHostKeyVerifier({ host: 'h', policy: { pinned: ['MD5:aa'] } })).toThrow(
      new TypeError('pinned fingerprints must look like ssh-keygen -l output: SHA256: followed by 43 base64 characters'),
    );
    expect(() => createHostKeyVerifier({ host: 'h', policy: { pinned: [] } })).toThrow(new TypeError('policy.pinned must list at least one fingerprint'));
    expect(() => createHostKeyVerifier({ knownHosts: KnownHosts.parse(''), host: '' })).toThrow(new TypeError('host must be a non-empty string'));
    expect(() => createHostKeyVerifier({ knownHosts: {} as unknown as KnownHosts, host: 'h' })).toThrow(new TypeError('knownHosts must be a KnownHosts (use KnownHosts.load)'));
  });
});

describe('createHostKeyVerifier, accept-new', () => {
  test('an unknown key is accepted, recorded only when the caller says the handshake completed, then trusted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostkeys-verifier-'));
    const path = join(dir, 'known_hosts');
    const knownHosts = KnownHosts.load([path]);
    const v = createHostKeyVerifier({ knownHosts, host: 'MyHost', port: 2222, policy: 'accept-new' });
    expect(v.hostVerifier(blob('A'))).toBe(true);
    expect(v.decision).toMatchObject({ accepted: true, outcome: 'new', pendingRecord: { path, host: 'MyHost', port: 2222 } });
    expect(v.decision?.pendingRecord?.key.equals(blob('A'))).toBe(true);
    // Nothing is written before recordAccepted().
    expect(() => readFileSync(path)).toThrow();
    expect(await v.recordAccepted()).toBe(true);
    expect(await v.recordAccepted()).toBe(false);
    expect(readFileSync(path, 'utf8')).toMatch(/^\|1\|\S+ ssh-ed25519 \S+\n$/);
    expect(KnownHosts.load([path]).verify({ host: 'myhost', port: 2222, key: blob('A') }).status).toBe('trusted');
    const again = knownHosts.verify({ host: 'myhost', port: 2222, key: blob('A') });
    expect(again.status).toBe('trusted');
    expect(again.matches.map((m) => [m.source, m.line])).toEqual([[path, 1]]);
  });

  test('a changed key is still refused and nothing is pending', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostkeys-verifier-'));
    const path = join(dir, 'known_hosts');
    writeFileSync(path, `${line('myhost', 'X')}\n`);
    const v = createHostKeyVerifier({ knownHosts: KnownHosts.load([path]), host: 'myhost', policy: 'accept-new' });
    expect(v.hostVerifier(blob('A'))).toBe(false);
    expect(v.decision?.error?.code).toBe('ERR_HOST_KEY_CHANGED');
    expect(v.decision?.pendingRecord).toBeUndefined();
    expect(await v.recordAccepted()).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(`${line('myhost', 'X')}\n`);
  });

  test('without a file to record to, an unknown key is refused (as UserKnownHostsFile none)', () => {
    const v = createHostKeyVerifier({ knownHosts: KnownHosts.parse(''), host: 'myhost', policy: 'accept-new' });
    expect(v.hostVerifier(blob('A'))).toBe(false);
    expect(v.decision?.error?.code).toBe('ERR_HOST_KEY_UNKNOWN');
    expect(v.decision?.error?.message).toContain(
      '\nThe accept-new policy could not record it: no known_hosts file to write to (as with UserKnownHostsFile none).',
    );
  });

  test('a key that cannot be written is still pinned in memory: the next verifier refuses another key as changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostkeys-verifier-'));
    writeFileSync(join(dir, 'plain-file'), 'x');
    const path = join(dir, 'plain-file', 'known_hosts');
    const knownHosts = KnownHosts.load([path]);
    const v = createHostKeyVerifier({ knownHosts, host: 'myhost', port: 2222, policy: 'accept-new' });
    expect(v.hostVerifier(blob('A'))).toBe(true);
    await expect(v.recordAccepted()).rejects.toMatchObject({ code: 'ENOTDIR' });
    expect(existsSync(`${path}.lock`)).toBe(false);
    const same = createHostKeyVerifier({ knownHosts, host: 'myhost', port: 2222, policy: 'accept-new' });
    expect(same.hostVerifier(blob('A'))).toBe(true);
    expect(same.decision?.outcome).toBe('known');
    const other = createHostKeyVerifier({ knownHosts, host: 'myhost', port: 2222, policy: 'accept-new' });
    expect(other.hostVerifier(blob('B'))).toBe(false);
    expect(other.decision?.error?.code).toBe('ERR_HOST_KEY_CHANGED');
  });

  test('/dev/null as the file to record to: the line is discarded, no /dev/null.lock is made, nothing throws', async () => {
    const v = createHostKeyVerifier({ knownHosts: KnownHosts.load(['/dev/null']), host: 'myhost', policy: 'accept-new' });
    expect(v.hostVerifier(blob('A'))).toBe(true);
    expect(await v.recordAccepted()).toBe(true);
    expect(existsSync('/dev/null.lock')).toBe(false);
  });

  test('a revoked key is refused', () => {
    const kh = KnownHosts.parse(`@revoked ${line('*', 'A')}`);
    const v = createHostKeyVerifier({ knownHosts: kh, host: 'myhost', policy: 'accept-new', recordTo: '/nonexistent/kh' });
    expect(v.hostVerifier(blob('A'))).toBe(false);
    expect(v.decision?.error?.code).toBe('ERR_HOST_KEY_REVOKED');
  });
});

describe('createHostKeyVerifier, pinned and insecure', () => {
  test('a pinned fingerprint is accepted without known_hosts, another is refused', () => {
    const v = createHostKeyVerifier({ host: 'myhost', policy: { pinned: [fpB, `${fpA}=`] } });
    expect(v.hostVerifier(blob('A'))).toBe(true);
    expect(v.decision?.outcome).toBe('pinned');
    const w = createHostKeyVerifier({ host: 'myhost', port: 2200, policy: { pinned: [fpB] } });
    expect(w.hostVerifier(blob('A'))).toBe(false);
    expect(w.decision?.error?.code).toBe('ERR_HOST_KEY_CHANGED');
    expect(w.decision?.error?.message).toBe(
      `The host key offered by myhost port 2200 (ssh-ed25519 ${fpA}) is not one of the pinned fingerprints (${fpB}). Check the key with the host's administrator and update the pins.`,
    );
  });

  test('@revoked beats a pin', () => {
    const v = createHostKeyVerifier({ knownHosts: KnownHosts.parse(`@revoked ${line('*', 'A')}`), host: 'myhost', policy: { pinned: [fpA] } });
    expect(v.hostVerifier(blob('A'))).toBe(false);
    expect(v.decision?.error?.code).toBe('ERR_HOST_KEY_REVOKED');
  });

  test('insecure-accept-any accepts anything and warns every time with a code', () => {
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    const v = createHostKeyVerifier({ host: 'myhost', policy: 'insecure-accept-any' });
    expect(v.hostVerifier(blob('A'))).toBe(true);
    expect(v.hostVerifier(blob('A'))).toBe(true);
    expect(v.decision?.outcome).toBe('insecure');
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenCalledWith(
      `host key checking is off for myhost port 22 (policy insecure-accept-any): accepted ssh-ed25519 ${fpA} without verifying it`,
      { type: 'SecurityWarning', code: 'SSH_DOCKER_INSECURE_HOST_KEY' },
    );
  });
});
