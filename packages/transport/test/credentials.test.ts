import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '@ssh-docker/url';
import { authHandler, Credentials } from '../src/internal/credentials.js';

let dir: string;
let plainKey: string;
let encryptedKey: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-cred-'));
  plainKey = join(dir, 'id_plain');
  encryptedKey = join(dir, 'id_enc');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', plainKey]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'correct horse', '-f', encryptedKey]);
  writeFileSync(join(dir, 'garbage'), 'not a key');
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const base = { homeDir: '/home/nobody', identitiesOnly: false };

describe('Credentials', () => {
  it('tries the agent, then each readable key, then password and keyboard-interactive, skipping missing files', async () => {
    const credentials = new Credentials({ ...base, agent: '/run/agent.sock', identityFiles: [join(dir, 'missing'), plainKey, join(dir, 'garbage')], password: Secret.from('pw') });
    const attempt = await credentials.prepare('deploy');
    expect(attempt.methods.map((m) => m.type)).toEqual(['agent', 'publickey', 'password', 'keyboard-interactive']);
    expect(attempt.described).toEqual(['ssh-agent', `key ${plainKey}`, `key ${join(dir, 'garbage')} (not a usable private key)`, 'password', 'keyboard-interactive']);
    attempt.finish('not-reached');
  });

  it('leaves the agent out with IdentitiesOnly', async () => {
    const attempt = await new Credentials({ ...base, identitiesOnly: true, agent: '/run/agent.sock', identityFiles: [] }).prepare('u');
    expect(attempt.methods).toEqual([]);
  });

  it('decrypts an encrypted key with the passphrase and clears a direct Secret after authentication', async () => {
    const passphrase = Secret.from('correct horse');
    const attempt = await new Credentials({ ...base, identityFiles: [encryptedKey], passphrase }).prepare('u');
    expect(attempt.methods.map((m) => m.type)).toEqual(['publickey']);
    expect(passphrase.cleared).toBe(false);
    attempt.finish('authenticated');
    expect(passphrase.cleared).toBe(true);
    expect(attempt.methods).toEqual([]);
  });

  it('says when an encrypted key has no passphrase or a wrong one', async () => {
    const none = await new Credentials({ ...base, identityFiles: [encryptedKey] }).prepare('u');
    expect(none.described).toEqual([`key ${encryptedKey} (encrypted, no passphrase given)`]);
    const wrong = await new Credentials({ ...base, identityFiles: [encryptedKey], passphrase: Secret.from('wrong') }).prepare('u');
    expect(wrong.described).toEqual([`key ${encryptedKey} (wrong passphrase)`]);
  });

  it('keeps a direct password when the server was never reached, clears it once a server saw it', async () => {
    const password = Secret.from('pw');
    const credentials = new Credentials({ ...base, identityFiles: [], password });
    (await credentials.prepare('u')).finish('not-reached');
    expect(password.cleared).toBe(false);
    (await credentials.prepare('u')).finish('rejected');
    expect(password.cleared).toBe(true);
    const after = await credentials.prepare('u');
    expect(after.methods).toEqual([]);
    expect(after.spent).toBe(true);
  });

  it('asks a provider for every attempt and clears what it gave, whatever the outcome', async () => {
    const given: Secret[] = [];
    const credentials = new Credentials({
      ...base,
      identityFiles: [],
      password: () => {
        const secret = Secret.from('pw');
        given.push(secret);
        return Promise.resolve(secret);
      },
    });
    (await credentials.prepare('u')).finish('not-reached');
    (await credentials.prepare('u')).finish('authenticated');
    expect(given).toHaveLength(2);
    expect(given.every((s) => s.cleared)).toBe(true);
  });

  it('wipes the password bytes it handed to ssh2 when the attempt ends', async () => {
    const attempt = await new Credentials({ ...base, identityFiles: [], password: Secret.from('pw') }).prepare('u');
    const method = attempt.methods.find((m) => m.type === 'password');
    const bytes = method?.type === 'password' ? method.password : Buffer.alloc(0);
    expect(bytes.toString()).toBe('pw');
    attempt.finish('authenticated');
    expect([...bytes]).toEqual([0, 0]);
  });

  it('refuses a provider that does not give a Secret, as a caller mistake', async () => {
    const credentials = new Credentials({ ...base, identityFiles: [], password: () => Promise.resolve('pw' as unknown as Secret) });
    await expect(credentials.prepare('u')).rejects.toThrow(new TypeError('a password or passphrase provider must resolve to a Secret'));
  });
});

describe('authHandler', () => {
  it('offers our methods in order, skipping those the server no longer allows, then gives up', () => {
    const methods = [
      { type: 'agent' as const, username: 'u', agent: '/a' },
      { type: 'password' as const, username: 'u', password: Buffer.from('p') },
    ];
    const handler = authHandler(methods);
    const chosen: unknown[] = [];
    handler(null, null, (m) => chosen.push(m === false ? false : m.type));
    handler(['password', 'keyboard-interactive'], false, (m) => chosen.push(m === false ? false : m.type));
    handler(['password'], false, (m) => chosen.push(m === false ? false : m.type));
    expect(chosen).toEqual(['agent', 'password', false]);
  });
});
