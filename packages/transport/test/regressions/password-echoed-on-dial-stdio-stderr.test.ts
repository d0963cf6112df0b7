/**
 * Audit 11.5: a verified server that echoes the password on the stderr of `docker system
 * dial-stdio` (or of `docker --version` in check()) put it verbatim, and as base64, into
 * `err.message`, `err.cause.message` and `util.inspect(err)`, with a direct Secret and with a
 * provider. The Secret is cleared once the handshake is over, before the stderr arrives, so the
 * scrubbing has to find the password without it: the cleared Secret keeps a keyed digest.
 *
 * The hostile peer is ssh2's server, in this process, with a host key the client trusts: it accepts
 * the password and answers every command with the password on stderr, in several encodings.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import ssh2 from 'ssh2';
import type { Connection } from 'ssh2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { containsSecret, Secret, WITHHELD } from '@ssh-docker/url';
import { createDockerSshTransport } from '../../src/index.js';
import type { DockerSshTransportOptions } from '../../src/index.js';

const USER = 'echo';
/** The audit's password (quote, CR, slash, non-ASCII, space), a plain long one and a 3-character one. */
const PASSWORDS = ['p"q\r/ü€ x', 'correct-horse-battery-staple', 'k3y'];

let dir: string;
let hostKey: Buffer;
let hostPublic: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sdk-echo-stderr-'));
  const path = join(dir, 'host');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', '', '-f', path]);
  hostKey = readFileSync(path);
  hostPublic = readFileSync(`${path}.pub`, 'utf8').trim();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Every form the peer echoes, and every form the error must not hold. */
function forms(password: string): string[] {
  const bytes = Buffer.from(password, 'utf8');
  return [
    password,
    JSON.stringify(password).slice(1, -1),
    encodeURIComponent(password),
    bytes.toString('base64'),
    bytes.toString('base64url'),
    Buffer.from(`${USER}:${password}`).toString('base64'),
  ];
}

/** A server that accepts `password` only, and answers each exec with it on stderr and exit status 1. */
async function echoingServer(password: string): Promise<{ port: number; close: () => Promise<void> }> {
  const clients = new Set<Connection>();
  const server = new ssh2.Server({ hostKeys: [hostKey] }, (client) => {
    clients.add(client);
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      if (ctx.method === 'password' && ctx.password === password) ctx.accept();
      else ctx.reject(['password']);
    });
    client.on('session', (accept) => {
      accept().on('exec', (acceptExec) => {
        const channel = acceptExec();
        const echoed = forms(password)
          .map((form, i) => `line ${i}: ${form}`)
          .join('\n');
        channel.stderr.write(`Cannot connect to the Docker daemon at unix:///var/run/docker.sock.\nlogin as ${USER} with ${password} failed\n${echoed}\nIs the docker daemon running?\n`);
        channel.exit(1);
        // As sshd does once the command has exited: EOF, then the channel is closed.
        channel.end();
        channel.close();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of clients) client.end();
        server.close(() => resolve());
      }),
  };
}

function options(port: number, password: DockerSshTransportOptions['password']): DockerSshTransportOptions {
  const knownHosts = join(dir, `kh-${String(port)}`);
  writeFileSync(knownHosts, `[127.0.0.1]:${String(port)} ${hostPublic}\n`);
  return {
    url: `ssh://${USER}@127.0.0.1:${String(port)}`,
    configFile: false,
    agent: false,
    identityFiles: [],
    knownHostsFiles: [knownHosts],
    connectTimeoutMs: 5000,
    ...(password === undefined ? {} : { password }),
  };
}

/** Everything a caller, a logger or a crash report may print of the error. */
function renderings(err: unknown): string[] {
  const e = err as Error & { cause?: unknown };
  const cause = e.cause as (Error & { cause?: unknown }) | undefined;
  return [
    e.message,
    String(e.stack),
    String(cause?.message),
    String(cause?.stack),
    inspect(err, { depth: Infinity, showHidden: true }),
    JSON.stringify(err),
    JSON.stringify(cause ?? null),
  ];
}

function expectNoForm(err: unknown, password: string): void {
  for (const text of renderings(err)) {
    for (const form of forms(password)) expect(text).not.toContain(form);
    expect(containsSecret(text, [password])).toBe(false);
  }
}

/** The error dial-stdio's early exit gives the stream. */
async function streamError(transport: ReturnType<typeof createDockerSshTransport>): Promise<Error & { code?: string }> {
  // The peer answers at once: a stream that failed before openStream() could hand it over is not
  // handed over, and the open rejects with its error; one that fails later errors itself.
  const opened = await transport.openStream().then(
    (stream) => ({ stream }),
    (error: unknown) => ({ error: error as Error & { code?: string } }),
  );
  if ('error' in opened) return opened.error;
  const { stream } = opened;
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      if (stream.errored !== null) resolve(stream.errored);
      else reject(new Error('the stream closed without an error'));
    };
    if (stream.destroyed) settle();
    else stream.once('close', settle);
    stream.resume();
  });
}

describe('a verified server that echoes the password on stderr', () => {
  for (const password of PASSWORDS) {
    const shown = JSON.stringify(password);

    it(`keeps ${shown}, given as a direct Secret (cleared before the stderr comes), out of the stream's error`, async () => {
      const peer = await echoingServer(password);
      const secret = Secret.from(password);
      const transport = createDockerSshTransport(options(peer.port, secret));
      try {
        const err = await streamError(transport);
        expect(err.code).toBe('ERR_DAEMON_UNREACHABLE');
        expect(secret.cleared).toBe(true);
        expectNoForm(err, password);
        // The lines without the password still explain the failure (a password with a line break
        // in it, echoed raw, spans lines: then all of the stderr is withheld).
        if (!/[\r\n]/.test(password)) expect(err.message).toContain('Is the docker daemon running?');
        expect(err.message).toContain(WITHHELD);
      } finally {
        await transport.close();
        await peer.close();
      }
    });

    it(`keeps ${shown}, given by a provider, out of the stream's error and out of check()`, async () => {
      const peer = await echoingServer(password);
      const given: Secret[] = [];
      const provider = async (): Promise<Secret> => {
        const secret = Secret.from(password);
        given.push(secret);
        return Promise.resolve(secret);
      };
      const transport = createDockerSshTransport(options(peer.port, provider));
      try {
        const err = await streamError(transport);
        expect(err.code).toBe('ERR_DAEMON_UNREACHABLE');
        expect(given.length).toBeGreaterThan(0);
        expect(given.every((secret) => secret.cleared)).toBe(true);
        expectNoForm(err, password);

        const report = await transport.check({ stepTimeoutMs: 5000 });
        const failed = report.steps.find((step) => step.status === 'failed');
        expect(failed?.name).toBe('docker CLI');
        const printed = JSON.stringify(report);
        for (const form of forms(password)) expect(printed).not.toContain(form);
        expect(containsSecret(printed, [password])).toBe(false);
      } finally {
        await transport.close();
        await peer.close();
      }
    });
  }
});
