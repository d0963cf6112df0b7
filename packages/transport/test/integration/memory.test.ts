import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processMemoryContains, startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture, MemoryHit } from '@ssh-docker/testkit';

// Invariant 2, measured on the whole process: after connecting with a password or a key
// passphrase given as a Secret, no copy of it is anywhere in the process's memory — not in the
// V8 heap (including the stale copies a moving GC leaves behind, which a heap snapshot cannot
// see), not in Buffer pool slabs, not in OpenSSL's or libuv's native buffers.

const child = fileURLToPath(new URL('./memory-child.mjs', import.meta.url));
let fixture: DockerSshFixture;
let scratch: string;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  scratch = await mkdtemp(join(tmpdir(), 'sdk-memory-'));
});

afterAll(async () => {
  execFileSync('chpasswd', { input: `${fixture.passwordUser}:${fixture.password}\n` });
  await fixture.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** Random letters and digits as bytes, never as a JavaScript string in this process either. */
function randomAlnum(length: number): Buffer {
  const alphabet = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789');
  const out = Buffer.alloc(length);
  const random = randomBytes(length);
  for (let i = 0; i < length; i++) out[i] = alphabet[random[i]! % alphabet.length]!;
  return out;
}

/** Runs the child with `secret` on its stdin, scans its memory once it is connected and idle, then ends it. */
async function scanAfterConnect(options: object, kind: 'password' | 'passphrase', secret: Buffer, keep = false): Promise<{ ready: string; hits: MemoryHit[] }> {
  const proc = spawn(process.execPath, ['--expose-gc', child, JSON.stringify(options), kind, keep ? 'keep' : ''], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    proc.stdin.write(Buffer.concat([secret, Buffer.from('\n')]));
    let out = '';
    proc.stdout.setEncoding('utf8');
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) resolve();
      });
      proc.once('exit', (code) => reject(new Error(`the child exited with ${String(code)} before it was ready`)));
    });
    const [hits = []] = await processMemoryContains(proc.pid!, [secret]);
    // A scan of a process that had already ended would prove nothing.
    expect(proc.exitCode).toBeNull();
    return { ready: out.trim(), hits };
  } finally {
    proc.stdin.end();
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = once(proc, 'exit');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
}

const base = (): object => ({ url: fixture.url, configFile: false, knownHostsFiles: [fixture.knownHostsFile], agent: false });

describe('no copy of a credential anywhere in the process memory after connect', () => {
  it.each([8, 16, 24, 32, 64, 96, 128])('a %i-byte password given as a Secret', async (length) => {
    const password = randomAlnum(length);
    execFileSync('chpasswd', { input: Buffer.concat([Buffer.from(`${fixture.passwordUser}:`), password, Buffer.from('\n')]) });
    const { ready, hits } = await scanAfterConnect({ ...base(), user: fixture.passwordUser }, 'password', password);
    expect(ready).toBe('ready 200 true 0');
    expect(hits).toEqual([]);
  });

  it.each([8, 24, 64, 128])('a %i-byte key passphrase given as a Secret', async (length) => {
    const passphrase = randomAlnum(length);
    const passFile = join(scratch, 'pass');
    const keyFile = join(scratch, `key${String(length)}`);
    await writeFile(passFile, passphrase, { mode: 0o600 });
    execFileSync('sh', ['-c', 'ssh-keygen -q -t ed25519 -N "$(cat "$1")" -C mem -f "$2"', 'sh', passFile, keyFile]);
    await rm(passFile);
    await appendFile(join(fixture.dir, 'authorized_keys', fixture.user), await readFile(`${keyFile}.pub`));
    const { ready, hits } = await scanAfterConnect({ ...base(), identityFiles: [keyFile] }, 'passphrase', passphrase);
    expect(ready).toBe('ready 200 true 0');
    expect(hits).toEqual([]);
  });

  it('finds a copy the process keeps as a string (the scan can fail)', async () => {
    const password = randomAlnum(24);
    execFileSync('chpasswd', { input: Buffer.concat([Buffer.from(`${fixture.passwordUser}:`), password, Buffer.from('\n')]) });
    const { ready, hits } = await scanAfterConnect({ ...base(), user: fixture.passwordUser }, 'password', password, true);
    expect(ready).toBe('ready 200 true 24');
    expect(hits.length).toBeGreaterThan(0);
  });
});
