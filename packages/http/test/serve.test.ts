import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PassThrough, type Duplex } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { serveDockerSocket, type DockerSocketServer, type HttpError } from '../src/index.js';
import { startRawServer, type LocalServer } from './helpers/servers.js';

const daemons: LocalServer<Server>[] = [];
const proxies: DockerSocketServer[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close({ timeoutMs: 100 });
  for (const d of daemons.splice(0)) await d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function daemon(onConnection: (socket: Socket) => void): Promise<LocalServer<Server>> {
  const d = await startRawServer(onConnection);
  daemons.push(d);
  return d;
}

async function serve(connect: () => Promise<Duplex>, path?: string): Promise<DockerSocketServer> {
  const p = await serveDockerSocket(connect, path === undefined ? {} : { path });
  proxies.push(p);
  return p;
}

function dial(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = netConnect({ path, allowHalfOpen: true }, () => resolve(s));
    s.once('error', reject);
  });
}

function readAll(s: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    s.once('end', () => resolve(text));
  });
}

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'http-serve-'));
  dirs.push(d);
  return d;
}

/** A directory that belongs to another user: a temp dir given to nobody when we are root, else `/`. */
function foreignDir(): string {
  if (process.getuid?.() !== 0) return '/';
  const dir = tempDir();
  chownSync(dir, 65534, 65534);
  return dir;
}

async function refusal(p: Promise<unknown>): Promise<HttpError> {
  return p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err as HttpError,
  );
}

describe('serveDockerSocket', () => {
  test('the socket is 0600 in a fresh 0700 directory, and both are removed on close', async () => {
    const d = await daemon((s) => s.end());
    const p = await serveDockerSocket(d.connect);
    expect(p.dockerHost).toBe(`unix://${p.path}`);
    expect(statSync(dirname(p.path)).mode & 0o777).toBe(0o700);
    expect(statSync(p.path).isSocket()).toBe(true);
    expect(statSync(p.path).mode & 0o777).toBe(0o600);
    await p.close();
    expect(existsSync(p.path)).toBe(false);
    expect(existsSync(dirname(p.path))).toBe(false);
  });

  test('bytes are relayed untouched both ways, on one channel per connection', async () => {
    const d = await daemon((s) => s.pipe(s));
    const p = await serve(d.connect);
    const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 256));
    for (let i = 0; i < 3; i += 1) {
      const c = await dial(p.path);
      const got = readAll(c);
      c.end(bytes);
      expect(Buffer.from(await got, 'latin1').equals(bytes)).toBe(true);
    }
    expect(d.opened()).toBe(3);
  });

  test('a client that ends its write side still reads the whole answer (half-close)', async () => {
    const d = await daemon((s) => {
      let got = '';
      s.on('data', (c: Buffer) => (got += c.toString()));
      s.once('end', () => setTimeout(() => s.end(`answer to ${got}`), 30));
    });
    const p = await serve(d.connect);
    const c = await dial(p.path);
    const answer = readAll(c);
    c.end('question');
    expect(await answer).toBe('answer to question');
  });

  test('when the daemon ends its side first, the client can still write to it (half-close)', async () => {
    let received: (text: string) => void = () => undefined;
    const late = new Promise<string>((resolve) => (received = resolve));
    const d = await daemon((s) => {
      s.end('bye early');
      let got = '';
      s.on('data', (c: Buffer) => (got += c.toString()));
      s.once('end', () => received(got));
    });
    const p = await serve(d.connect);
    const c = await dial(p.path);
    expect(await readAll(c)).toBe('bye early');
    c.end('written after the daemon ended');
    expect(await late).toBe('written after the daemon ended');
  });

  test('a connector failure closes the accepted connection and is published without secrets', async () => {
    const events: unknown[] = [];
    const onMessage = (m: unknown): void => {
      events.push(m);
    };
    subscribe('ssh-docker:http:proxy', onMessage);
    try {
      const p = await serve(() => Promise.reject(Object.assign(new Error('no channel'), { code: 'ERR_CHANNEL_REFUSED' })));
      const c = await dial(p.path);
      c.resume();
      // The proxy closed its side: the client reads EOF.
      await new Promise((r) => c.once('end', r));
      expect(events).toContainEqual({ event: 'error', active: 1, code: 'ERR_HTTP_CONNECT', causeCode: 'ERR_CHANNEL_REFUSED' });
    } finally {
      unsubscribe('ssh-docker:http:proxy', onMessage);
    }
  });

  test('close() lets an open connection finish before it resolves', async () => {
    const d = await daemon((s) => {
      s.once('data', () => setTimeout(() => s.end('finished'), 100));
    });
    const p = await serveDockerSocket(d.connect);
    const c = await dial(p.path);
    const answer = readAll(c);
    c.write('go');
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    const closed = p.close({ timeoutMs: 5_000 });
    expect(await answer).toBe('finished');
    c.end();
    await closed;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(existsSync(p.path)).toBe(false);
  });

  test('close({ timeoutMs }) aborts connections still open at the deadline', async () => {
    const channel = new PassThrough();
    const p = await serveDockerSocket(() => Promise.resolve(channel));
    const c = await dial(p.path);
    c.resume();
    c.write('hang');
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    await p.close({ timeoutMs: 50 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(channel.destroyed).toBe(true);
    await new Promise((r) => (c.readableEnded ? r(undefined) : c.once('end', r)));
  });

  test('a given path in a missing directory creates that directory 0700', async () => {
    const d = await daemon((s) => s.end());
    const path = join(tempDir(), 'new', 'docker.sock');
    const p = await serve(d.connect, path);
    expect(p.path).toBe(path);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await p.close();
    expect(existsSync(path)).toBe(false);
    expect(existsSync(dirname(path))).toBe(false);
  });

  test('a given path in an existing private directory is used and only the socket is removed', async () => {
    const d = await daemon((s) => s.end());
    const dir = tempDir();
    chmodSync(dir, 0o755);
    const p = await serve(d.connect, join(dir, 'docker.sock'));
    expect(statSync(p.path).mode & 0o777).toBe(0o600);
    await p.close();
    expect(existsSync(p.path)).toBe(false);
    expect(existsSync(dir)).toBe(true);
  });

  test('a group- or world-writable directory is refused', async () => {
    const dir = tempDir();
    chmodSync(dir, 0o777);
    const err = await refusal(serveDockerSocket(() => Promise.resolve(new PassThrough()), { path: join(dir, 'docker.sock') }));
    expect(err.code).toBe('ERR_HTTP_UNSAFE_PATH');
    expect(err.message).toBe('the socket directory is group- or world-writable; use a directory with mode 0700 or 0755, or omit path');
  });

  test('a directory owned by someone else is refused', async () => {
    const dir = foreignDir();
    const err = await refusal(serveDockerSocket(() => Promise.resolve(new PassThrough()), { path: join(dir, `ssh-docker-test-${process.pid}.sock`) }));
    expect(err.code).toBe('ERR_HTTP_UNSAFE_PATH');
    expect(err.message).toBe('the socket directory belongs to another user; choose a directory you own');
  });

  test("a missing directory whose parent is someone else's is refused, and not created", async () => {
    const dir = foreignDir();
    const sub = join(dir, `ssh-docker-test-${process.pid}`);
    const err = await refusal(serveDockerSocket(() => Promise.resolve(new PassThrough()), { path: join(sub, 'docker.sock') }));
    expect(err.code).toBe('ERR_HTTP_UNSAFE_PATH');
    expect(err.message).toBe(
      process.getuid?.() === 0
        ? `the directory ${dir} above the socket belongs to another user: anyone who can rename it can put their own socket in its place; choose a path whose every directory is owned by you or root and not writable by others`
        : 'the socket directory belongs to another user; choose a directory you own',
    );
    expect(existsSync(sub)).toBe(false);
  });

  test('something already at the path is refused, never replaced', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'docker.sock'), 'keep me');
    const err = await refusal(serveDockerSocket(() => Promise.resolve(new PassThrough()), { path: join(dir, 'docker.sock') }));
    expect(err.code).toBe('ERR_HTTP_SOCKET_PATH');
    expect(err.message).toBe(`something that is not a socket of yours exists at ${join(dir, 'docker.sock')}; remove it or choose another path`);
  });

  test('a directory that does not exist two levels up is ERR_HTTP_SOCKET_PATH with the mkdir to run, not a raw ENOENT', async () => {
    const dir = tempDir();
    const err = await refusal(serveDockerSocket(() => Promise.resolve(new PassThrough()), { path: join(dir, 'a', 'b', 'docker.sock') }));
    expect(err.code).toBe('ERR_HTTP_SOCKET_PATH');
    expect(err.message).toBe(`the directory ${join(dir, 'a')} does not exist; create it (mkdir -p -m 700 ${join(dir, 'a')}) or choose another path`);
  });

  test('a stale socket of ours (its server killed with -9) is replaced', async () => {
    const dir = tempDir();
    const path = join(dir, 'docker.sock');
    const killed = spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    expect(killed.signal).toBe('SIGKILL');
    expect(lstatSync(path).isSocket()).toBe(true);
    const d = await daemon((sock) => sock.end('pong'));
    const p = await serve(d.connect, path);
    expect(p.path).toBe(path);
    const c = await dial(path);
    expect(await readAll(c)).toBe('pong');
  });

  test('a socket someone listens on is refused with ERR_HTTP_SOCKET_IN_USE, and left alone', async () => {
    const dir = tempDir();
    const first = await serve(() => Promise.resolve(new PassThrough()), join(dir, 'docker.sock'));
    const err = await refusal(serveDockerSocket(() => Promise.resolve(new PassThrough()), { path: first.path }));
    expect(err.code).toBe('ERR_HTTP_SOCKET_IN_USE');
    expect(err.message).toBe(`another process is serving on ${first.path} (another ssh-docker proxy?); stop it, or choose another path`);
    expect(await dial(first.path)).toBeDefined();
  });

  test.runIf(process.getuid?.() === 0)("a stale socket that belongs to another user is refused, never replaced", async () => {
    const dir = tempDir();
    const path = join(dir, 'docker.sock');
    spawnSync(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.kill(process.pid, 'SIGKILL'))`]);
    chownSync(path, 65534, 65534);
    const err = await refusal(serveDockerSocket(() => Promise.resolve(new PassThrough()), { path }));
    expect(err.code).toBe('ERR_HTTP_SOCKET_PATH');
    expect(lstatSync(path).uid).toBe(65534);
  });

  test('a symlink as the directory is refused', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'real'), { mode: 0o700 });
    const { symlinkSync } = await import('node:fs');
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    const err = await refusal(serveDockerSocket(() => Promise.resolve(new PassThrough()), { path: join(dir, 'link', 'docker.sock') }));
    expect(err.code).toBe('ERR_HTTP_UNSAFE_PATH');
    expect(err.message).toBe('the socket directory is not a directory (or is a symlink); choose a directory you own');
  });

  test('a relative or too long path is a caller mistake', async () => {
    const connect = (): Promise<Duplex> => Promise.resolve(new PassThrough());
    await expect(serveDockerSocket(connect, { path: 'docker.sock' })).rejects.toThrow(new TypeError('path must be an absolute path to the socket to create'));
    await expect(serveDockerSocket(connect, { path: `/tmp/${'a'.repeat(120)}` })).rejects.toThrow(
      new RangeError('path must be at most 103 bytes (the unix socket address limit)'),
    );
  });
});
