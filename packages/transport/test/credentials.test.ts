import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '@ssh-docker/url';
import type { AuthenticationType } from 'ssh2';
import { authHandler, Credentials } from '../src/internal/credentials.js';
import type { AuthAttempt, AuthMethod } from '../src/internal/credentials.js';

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

/** Offers the attempt's methods as ssh2 does, to a server that allows `allowed` (null: anything), until none is left. */
async function offerAll(attempt: AuthAttempt, allowed: AuthenticationType[] | null = null): Promise<AuthMethod[]> {
  const out: AuthMethod[] = [];
  let failed: ((err: Error) => void) | undefined;
  const handler = authHandler(attempt.methods, { fail: (err) => failed?.(err) });
  for (;;) {
    const method = await new Promise<AuthMethod | false>((resolve, reject) => {
      failed = reject;
      handler(allowed, false, resolve);
    });
    if (method === false) return out;
    out.push(method);
  }
}

describe('Credentials', () => {
  it('tries the agent, then each readable key, then password and keyboard-interactive, skipping missing files', async () => {
    const credentials = new Credentials({ ...base, agent: '/run/agent.sock', identityFiles: [join(dir, 'missing'), plainKey, join(dir, 'garbage')], password: Secret.from('pw') });
    const attempt = await credentials.prepare('deploy');
    expect(attempt.methods.map((m) => m.type)).toEqual(['agent', 'publickey', 'deferred-password']);
    expect(attempt.described).toEqual(['ssh-agent', `key ${plainKey}`, `key ${join(dir, 'garbage')} (not a usable private key)`, 'password', 'keyboard-interactive']);
    expect((await offerAll(attempt)).map((m) => m.type)).toEqual(['agent', 'publickey', 'password', 'keyboard-interactive']);
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
    const first = await credentials.prepare('u');
    await offerAll(first);
    first.finish('not-reached');
    expect(password.cleared).toBe(false);
    const second = await credentials.prepare('u');
    await offerAll(second);
    second.finish('rejected');
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
    for (const outcome of ['not-reached', 'authenticated'] as const) {
      const attempt = await credentials.prepare('u');
      await offerAll(attempt);
      attempt.finish(outcome);
    }
    expect(given).toHaveLength(2);
    expect(given.every((s) => s.cleared)).toBe(true);
  });

  it('asks for no password while the server takes only keys, and keeps a direct one it never offered', async () => {
    let asked = 0;
    const byProvider = await new Credentials({
      ...base,
      identityFiles: [plainKey],
      password: () => {
        asked += 1;
        return Promise.resolve(Secret.from('pw'));
      },
    }).prepare('u');
    expect((await offerAll(byProvider, ['publickey'])).map((m) => m.type)).toEqual(['publickey']);
    byProvider.finish('rejected');
    expect(asked).toBe(0);
    const password = Secret.from('pw');
    const direct = await new Credentials({ ...base, identityFiles: [plainKey], password }).prepare('u');
    await offerAll(direct, ['publickey']);
    direct.finish('rejected');
    expect(password.cleared).toBe(false);
  });

  it('offers nothing, and wipes it, when the password arrives after the attempt ended', async () => {
    let release: (() => void) | undefined;
    const given: Secret[] = [];
    const attempt = await new Credentials({
      ...base,
      identityFiles: [],
      password: async () => {
        await new Promise<void>((resolve) => (release = resolve));
        const secret = Secret.from('late');
        given.push(secret);
        return secret;
      },
    }).prepare('u');
    const offering = offerAll(attempt);
    await new Promise((r) => setImmediate(r));
    attempt.finish('not-reached');
    release?.();
    expect(await offering).toEqual([]);
    expect(given).toHaveLength(1);
    expect(given[0]?.cleared).toBe(true);
  });

  it('wipes the password bytes it handed to ssh2 when the attempt ends', async () => {
    const attempt = await new Credentials({ ...base, identityFiles: [], password: Secret.from('pw') }).prepare('u');
    const method = (await offerAll(attempt)).find((m) => m.type === 'password');
    const bytes = method?.type === 'password' ? method.password : Buffer.alloc(0);
    expect(bytes.toString()).toBe('pw');
    attempt.finish('authenticated');
    expect([...bytes]).toEqual([0, 0]);
  });

  it('refuses a provider that does not give a Secret, as a caller mistake', async () => {
    const credentials = new Credentials({ ...base, identityFiles: [], password: () => Promise.resolve('pw' as unknown as Secret) });
    await expect(offerAll(await credentials.prepare('u'))).rejects.toThrow(new TypeError('a password or passphrase provider must resolve to a Secret'));
  });
});

describe('authHandler', () => {
  it('offers our methods in order, skipping those the server no longer allows, then gives up', () => {
    const methods = [
      { type: 'agent' as const, username: 'u', agent: '/a' },
      { type: 'password' as const, username: 'u', password: Buffer.from('p') },
    ];
    const handler = authHandler(methods, {
      fail: (err) => {
        throw err;
      },
    });
    const chosen: unknown[] = [];
    handler(null, null, (m) => chosen.push(m === false ? false : m.type));
    handler(['password', 'keyboard-interactive'], false, (m) => chosen.push(m === false ? false : m.type));
    handler(['password'], false, (m) => chosen.push(m === false ? false : m.type));
    expect(chosen).toEqual(['agent', 'password', false]);
  });
});
