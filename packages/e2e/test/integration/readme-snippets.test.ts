/**
 * Runs the ```ts blocks of the READMEs (test/readme-snippets.test.ts compiles them) against a real
 * sshd and dockerd: the testkit fixture. The hosts the READMEs name are placeholders, mapped here
 * to the fixture and nothing else:
 *
 * - createDockerSshTransport is the REAL one, wrapped: a placeholder URL of PLACEHOLDERS becomes the
 *   fixture's URL, key and known_hosts (fixture.transportOptions()); any other URL, or an option that
 *   would change the target (user, port, ProxyJump, ProxyCommand, an ssh_config), throws. The CLI
 *   block reaches it too: the CLI imports the same module.
 * - while a block runs, net.Socket#connect throws for any host but the fixture's and loopback.
 * - the container a block names (`web`) is made in the fixture's daemon beforehand.
 * - the hostkeys block uses ssh2 directly: its placeholders are replaced in its text (see RUNS).
 *
 * A block marked `<!-- snippet: given transport -->` (or `connect`) gets the transport its README's
 * first block makes, through the same wrapper, or `() => transport.openStream()`. A block that is a
 * vitest file (it imports from 'vitest') runs as one, inside a describe of this file; it starts its
 * own fixture. A block that cannot be run would be in RUNS with the reason (none is now).
 */
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect, Socket } from 'node:net';
import { join } from 'node:path';
import type { Duplex, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, test, vi, type MockInstance } from 'vitest';
import { DockerClient } from '@ssh-docker/http';
import { startDockerSshFixture, type DockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshTransport, DockerSshTransportOptions } from '@ssh-docker/transport';
import { allSnippets, snippetDir, topLevelNames, type Snippet } from '../readme-snippets.js';
import { waitFor } from './helpers.js';

/** The targets the READMEs show; each is mapped to the fixture. */
const PLACEHOLDERS = ['ssh://deploy@docker-1.example.com', 'ssh://me@build-host', 'ssh://deploy@build-1'];

const harness = vi.hoisted(() => ({
  fixture: undefined as DockerSshFixture | undefined,
  transports: [] as DockerSshTransport[],
  targets: [] as string[],
  map: undefined as ((options: DockerSshTransportOptions) => DockerSshTransportOptions) | undefined,
}));

vi.mock('@ssh-docker/transport', async (importOriginal) => {
  const real = await importOriginal<typeof import('@ssh-docker/transport')>();
  return {
    ...real,
    createDockerSshTransport: (options: DockerSshTransportOptions): DockerSshTransport => {
      if (harness.map === undefined) throw new Error('readme-snippets: no fixture to map the target to');
      const transport = real.createDockerSshTransport(harness.map(options));
      harness.transports.push(transport);
      return transport;
    },
  };
});

/** A placeholder target becomes the fixture; anything else throws before any connection. */
function toFixture(options: DockerSshTransportOptions): DockerSshTransportOptions {
  const fixture = harness.fixture!;
  if (!PLACEHOLDERS.includes(options.url)) throw new Error(`readme-snippets: ${options.url} is not a placeholder mapped to the fixture; refusing it`);
  for (const key of ['user', 'port', 'proxyJump', 'proxyCommand', 'configFile'] as const) {
    if (options[key] !== undefined && options[key] !== false) throw new Error(`readme-snippets: option ${key} would change the target; refusing it`);
  }
  harness.targets.push(options.url);
  return { ...options, ...fixture.transportOptions() };
}

/** Until the returned function is called, a TCP connection to any host but `allowed` throws. */
function guardNetwork(allowed: readonly string[]): () => void {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- put back as it was; called with its socket as `this`
  const original = Socket.prototype.connect;
  const hostOf = (args: unknown[]): string | undefined => {
    const first: unknown = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (typeof first === 'object' && first !== null) {
      const o = first as { path?: string; host?: string };
      return o.path !== undefined ? undefined : (o.host ?? 'localhost');
    }
    if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) return typeof args[1] === 'string' ? args[1] : 'localhost';
    return undefined; // a unix socket path
  };
  Socket.prototype.connect = function (this: Socket, ...args: unknown[]): Socket {
    const host = hostOf(args);
    if (host !== undefined && !allowed.includes(host)) throw new Error(`readme-snippets: refusing a connection to ${host}`);
    return Reflect.apply(original, this, args) as Socket;
  };
  return () => {
    Socket.prototype.connect = original;
  };
}

const snippets = allSnippets();
const isVitestFile = (s: Snippet): boolean => /from 'vitest'/.test(s.code);
// Written now: a vitest block is imported while this file's tests are collected.
const dir = snippetDir();
let fixture: DockerSshFixture;
let local: DockerClient;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a block's exports are whatever it declares
type Exports = Record<string, any>;

interface Run {
  exports: Exports;
  /** What the block wrote to process.stdout so far. */
  out: () => string;
  /** console.log's calls. */
  logs: unknown[][];
  /** How many streams the block opened on its given transport (or through its given `connect`). */
  connects: () => number;
}
type Check = (run: Run) => Promise<void> | void;

/** Replaces `from` in a block's code with `to`; throws unless it occurs exactly `times` times. */
function substitute(code: string, from: string, to: string, times: number): string {
  const parts = code.split(from);
  if (parts.length - 1 !== times) throw new Error(`readme-snippets: expected ${times} × ${from} in the block, found ${parts.length - 1}`);
  return parts.join(to);
}

/** Ping over a raw stream to the daemon: the HTTP status line and body. */
async function ping(stream: Duplex): Promise<string> {
  stream.end('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');
  let text = '';
  for await (const chunk of stream as AsyncIterable<Buffer>) text += chunk.toString();
  return text;
}

/** What each block must do when run, or why it is not run. Every block is listed. */
const RUNS: Record<string, { check: Check; rewrite?: (code: string) => string } | { notRun: string } | { vitest: true }> = {
  'README.md#1': {
    check: ({ exports }) => {
      expect(exports['report']).toMatchObject({ ok: true });
      expect(harness.targets).toEqual(['ssh://deploy@docker-1.example.com']);
    },
  },
  'README.md#2': {
    // The Errors section: the open succeeds on the fixture, so the catch is not reached.
    check: ({ connects }) => {
      expect(connects()).toBe(1);
    },
  },
  'README.md#3': {
    check: ({ exports, logs, connects }) => {
      expect(logs).toEqual([[expect.objectContaining({ ApiVersion: expect.stringMatching(/^1\.\d+$/) })]]);
      expect(connects()).toBeGreaterThan(0);
      exports['agent'].destroy();
    },
  },
  'README.md#4': {
    check: async ({ exports }) => {
      expect(exports['res'].status).toBe(200);
      expect(await exports['res'].text()).toBe('OK');
      await exports['dispatcher'].close();
    },
  },
  'README.md#5': {
    check: async ({ exports, out }) => {
      expect(exports['containers'].map((c: { Names: string[] }) => c.Names)).toContainEqual(['/web']);
      expect(await waitFor(() => out().includes('hello from web\n'), 10_000)).toBe(true);
      (exports['logs'].body as Readable).destroy();
      exports['client'].close();
    },
  },
  'README.md#6': { vitest: true },
  'packages/cli/README.md#1': {
    check: ({ exports, out }) => {
      expect(out()).toMatch(/^Checking ssh:\/\/deploy@build-1\n[\s\S]*steps passed: Docker clients can use ssh:\/\/deploy@build-1 over SSH\.\n$/);
      expect(exports['code']).toBe(0);
    },
  },
  'packages/hostkeys/README.md#1': {
    // A bare ssh2 Client, not the transport: its placeholders are replaced in the text, the host,
    // port and user by the fixture's, and the home directory by one with the fixture's key and
    // known_hosts in .ssh/.
    rewrite: (code) => {
      const home = join(dir, 'home');
      mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
      copyFileSync(fixture.knownHostsFile, join(home, '.ssh', 'known_hosts'));
      copyFileSync(fixture.identityFile, join(home, '.ssh', 'id_ed25519'));
      const target = "const host = 'build-1', port = 22, username = 'deploy';";
      code = substitute(code, target, `const host = ${JSON.stringify(fixture.host)}, port = ${fixture.port}, username = ${JSON.stringify(fixture.user)};`, 1);
      return substitute(code, 'homedir()', JSON.stringify(home), 3);
    },
    check: ({ exports }) => {
      expect(exports['verifier'].decision).toMatchObject({ policy: 'strict', accepted: true, outcome: 'known' });
    },
  },
  'packages/http/README.md#1': {
    check: async ({ exports }) => {
      expect(await ping(await exports['connect']())).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nOK$/);
    },
  },
  'packages/http/README.md#2': {
    check: ({ connects }) => {
      expect(connects()).toBeGreaterThan(0);
    },
  },
  'packages/http/README.md#3': {
    check: async ({ exports }) => {
      expect(exports['res'].status).toBe(200);
      expect(await exports['res'].text()).toBe('OK');
      await exports['dispatcher'].close();
    },
  },
  'packages/http/README.md#4': {
    check: async ({ exports, out }) => {
      expect(exports['list']).toContainEqual(expect.objectContaining({ Names: ['/web'] }));
      // cat echoes the stdin the block sent, then exits at its EOF.
      expect(await waitFor(() => out().includes('stdin, then EOF; output keeps coming\n'), 10_000)).toBe(true);
      (exports['logs'].body as Readable).destroy();
      (exports['stream'] as Duplex).destroy();
    },
  },
  'packages/http/README.md#5': {
    check: ({ logs }) => {
      expect(logs).toEqual([[expect.stringMatching(/^unix:\/\/\/.+\/docker\.sock$/)]]);
      expect(existsSync((logs[0]![0] as string).slice('unix://'.length))).toBe(false);
    },
  },
  'packages/testkit/README.md#1': { vitest: true },
  'packages/testkit/README.md#2': { notRun: 'container mode needs a local Docker daemon beside the fixture: its own tests run it (vitest.container.config.ts)' },
  'packages/transport/README.md#1': {
    check: async ({ exports }) => {
      expect(await ping(exports['stream'])).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\nOK$/);
    },
  },
  'packages/url/README.md#1': {
    check: ({ logs }) => {
      // The values the block's comments show.
      expect(logs).toEqual([
        ['2001:db8::7', 2222, 'deploy'],
        ['ssh://ci:[redacted]@build-1'],
        ['[redacted]'],
        ['failed: ssh://ci:[redacted]@build-1 with [redacted]'],
        ['ssh://ci@build-1:2200'],
      ]);
    },
  },
};

const keyOf = (s: Snippet): string => `${s.readme}#${s.ordinal}`;

/** Runs one block as a module: its given names first, its top-level names exported. */
async function runSnippet(snippet: Snippet, check: Check, rewrite: (code: string) => string = (code) => code): Promise<void> {
  let opened = (): number => 0;
  const given: Record<string, unknown> = {};
  if (snippet.given.length > 0) {
    // The transport the README's first block makes: its URL, through the same wrapper.
    const first = snippets.find((s) => s.readme === snippet.readme && s.ordinal === 1)!;
    const url = /url: '([^']+)'/.exec(first.code)?.[1];
    expect(url, `${first.name} makes a transport from a URL`).toBeDefined();
    const { createDockerSshTransport } = await import('@ssh-docker/transport');
    const transport = createDockerSshTransport({ url: url! });
    const openStream = vi.spyOn(transport, 'openStream');
    opened = () => openStream.mock.calls.length;
    given['transport'] = transport;
    given['connect'] = () => transport.openStream();
  }
  (globalThis as { readmeSnippetGiven?: unknown }).readmeSnippetGiven = given;
  const names = [...snippet.given, ...topLevelNames(snippet.code)];
  const preludeLine = snippet.given.map((g) => `const ${g} = globalThis.readmeSnippetGiven.${g};`).join(' ');
  writeFileSync(join(dir, snippet.file), `${preludeLine}\n${rewrite(snippet.code)}\nexport { ${names.join(', ')} };\n`);

  let written = '';
  const write: MockInstance = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    return true;
  });
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  const unguard = guardNetwork([fixture.host, '127.0.0.1', '::1', 'localhost']);
  try {
    const exports = (await import(join(dir, snippet.file))) as Exports;
    await check({ exports, out: () => written, logs: log.mock.calls, connects: opened });
  } finally {
    unguard();
    write.mockRestore();
    log.mockRestore();
    for (const t of harness.transports.splice(0)) await t.close({ timeoutMs: 1_000 });
    harness.targets.length = 0;
  }
}

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  harness.fixture = fixture;
  harness.map = toFixture;
  // `web`, the container the client blocks read logs of and exec in, on the fixture's daemon.
  local = new DockerClient(() => Promise.resolve(netConnect(fixture.dockerSocket)));
  const body = { Image: fixture.image, Cmd: ['sh', '-c', 'echo hello from web; exec sleep 600'] };
  await local.json({ method: 'POST', path: '/containers/create', query: { name: 'web' }, body });
  (await local.request({ method: 'POST', path: '/containers/web/start' })).body.resume();
});

afterAll(async () => {
  try {
    if (local !== undefined) (await local.request({ method: 'DELETE', path: '/containers/web', query: { force: true } })).body.resume();
    local?.close();
  } finally {
    await fixture?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('README code blocks, run against the fixture', () => {
  test('every block is listed, and every placeholder target appears in a README', () => {
    expect(snippets.map(keyOf).sort()).toEqual(Object.keys(RUNS).sort());
    expect(snippets.filter(isVitestFile).map(keyOf)).toEqual(Object.keys(RUNS).filter((k) => 'vitest' in RUNS[k]!));
    for (const p of PLACEHOLDERS) expect(snippets.some((s) => s.code.includes(`'${p}'`)), p).toBe(true);
  });

  test('the harness refuses a target it does not map', async () => {
    const { createDockerSshTransport } = await import('@ssh-docker/transport');
    expect(() => createDockerSshTransport({ url: 'ssh://deploy@docker-2.example.com' })).toThrow(/not a placeholder/);
    expect(() => createDockerSshTransport({ url: PLACEHOLDERS[0]!, proxyJump: 'bastion.example.com' })).toThrow(/proxyJump/);
    const unguard = guardNetwork([fixture.host]);
    try {
      expect(() => netConnect(22, 'docker-1.example.com')).toThrow(/refusing a connection to docker-1\.example\.com/);
    } finally {
      unguard();
    }
  });

  const runnable = snippets.flatMap((s) => {
    const run = RUNS[keyOf(s)];
    return run !== undefined && 'check' in run ? [[s.name, s, run] as const] : [];
  });
  test.each(runnable)('%s runs', async (_name, snippet, run) => {
    await runSnippet(snippet, run.check, run.rewrite);
  });
});

// A block that is a vitest file runs as one: its hooks and tests are registered in this describe.
for (const snippet of snippets.filter(isVitestFile)) {
  describe(`${snippet.name}, a vitest file`, async () => {
    writeFileSync(join(dir, snippet.file), `${snippet.code}\n`);
    await import(join(dir, snippet.file));
  });
}
