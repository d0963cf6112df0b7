// @ts-check
// The six ways to reach the fixture's daemon that `pnpm bench` compares. Each row offers the same
// operations: ping, containers, cold, request (for the concurrency runs), download, upload, stream.
import { spawn } from 'node:child_process';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { createDockerAgent, serveDockerSocket } from '@ssh-docker/http';
import { createDockerSshTransport } from '@ssh-docker/transport';
import Docker from 'dockerode';
import { BarePool, bareChannel, bareConnect } from './bare.mjs';
import { awaitRoute } from './paths.mjs';
import { now } from './stats.mjs';

/** @typedef {import('@ssh-docker/testkit').DockerSshFixture} DockerSshFixture */
/**
 * What a row needs of the fixture: the fixture itself, or its fields as JSON without its methods
 * (lib/rss-child.mjs, lib/burst-child.mjs).
 * @typedef {Pick<DockerSshFixture, 'url' | 'host' | 'port' | 'user' | 'identityFile' | 'knownHostsFile' | 'alias' | 'sshBinDir' | 'dockerSocket'> & Partial<Pick<DockerSshFixture, 'transportOptions'>>} FixtureInfo
 */
/**
 * One HTTP request on a Node http.Agent (or a socket path).
 * @typedef {{ method?: string, path: string, socketPath?: string, body?: import('node:stream').Readable, length?: number, onBody?: (chunk: Buffer) => void }} RequestOptions
 */

export const PING = '/_ping';
export const CONTAINERS = '/containers/json';

/**
 * One request on a Node http.Agent; resolves with the status once the body is consumed.
 * @param {http.Agent | undefined} agent
 * @param {RequestOptions} options
 * @returns {Promise<number | undefined>}
 */
function nodeRequest(agent, { method = 'GET', path, socketPath, body, length, onBody }) {
  return new Promise((resolve, reject) => {
    /** @type {Record<string, string>} */
    const headers = { Host: 'docker' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/x-tar';
      headers['Content-Length'] = String(length);
    }
    const req = http.request({ agent, method, path, socketPath, host: 'docker', port: 80, headers }, (res) => {
      res.on('data', (chunk) => onBody?.(chunk));
      res.once('end', () => {
        if ((res.statusCode ?? 0) >= 400) reject(new Error(`HTTP ${res.statusCode} for ${method} ${path}`));
        else resolve(res.statusCode);
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    if (body === undefined) req.end();
    else pipeline(body, req).catch(reject);
  });
}

/**
 * Runs the docker CLI; resolves with its stdout size, rejects on a non-zero exit.
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 * @param {{ stdoutSink?: (chunk: Buffer) => void, stdin?: import('node:stream').Readable }} [options]
 * @returns {Promise<number>}
 */
function runDocker(args, env, { stdoutSink, stdin } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/docker', args, { env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let bytes = 0;
    // Both are pipes (stdio above), never null.
    /** @type {import('node:stream').Readable} */ (child.stdout).on('data', (chunk) => {
      bytes += chunk.length;
      stdoutSink?.(chunk);
    });
    /** @type {import('node:stream').Readable} */ (child.stderr).on('data', (chunk) => {
      if (stderr.length < 4096) stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve(bytes);
      else reject(new Error(`docker ${args.join(' ')} exited ${code ?? signal}: ${stderr.trim().split('\n').pop()}`));
    });
    if (stdin !== undefined) pipeline(stdin, /** @type {import('node:stream').Writable} */ (child.stdin)).catch(() => undefined);
  });
}

/**
 * An environment for the docker CLI: ours, minus anything that would pick another daemon.
 * @param {Record<string, string>} extra
 * @returns {NodeJS.ProcessEnv}
 */
function dockerEnv(extra) {
  const dropped = new Set(['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !dropped.has(key)));
  return { ...env, ...extra };
}

/**
 * @param {FixtureInfo} fixture
 * @returns {import('@ssh-docker/transport').DockerSshTransportOptions}
 */
function transportOptions(fixture) {
  if (typeof fixture.transportOptions === 'function') return fixture.transportOptions();
  // lib/rss-child.mjs gets the fixture as JSON, without its methods: the same options from its fields.
  return { url: fixture.url, configFile: false, identityFiles: [fixture.identityFile], knownHostsFiles: [fixture.knownHostsFile], agent: false };
}

const IMAGE_GET = (/** @type {string} */ image) => `/images/get?names=${encodeURIComponent(image)}`;
const IMAGE_LOAD = '/images/load?quiet=1';

// Every row: { id, label, kind, setup(), ping(), containers(), cold(), request(), concurrencyNote,
// download(image, onBody), upload(file), close() }. `inProcess` rows do their work in this process,
// so process.cpuUsage() and RSS describe them; CLI rows do it in children.
/**
 * @typedef {object} Row
 * @property {string} id
 * @property {string} label
 * @property {'in-process' | 'cli'} kind
 * @property {string} [concurrencyNote]
 * @property {() => Promise<void>} setup
 * @property {() => Promise<unknown>} ping
 * @property {() => Promise<unknown>} containers
 * @property {() => Promise<unknown>} request
 * @property {() => Promise<number>} cold
 * @property {(image: string, onBody: (chunk: Buffer) => void) => Promise<unknown>} download
 * @property {(file: string) => Promise<unknown>} upload
 * @property {() => import('@ssh-docker/transport').TransportStats} [stats]
 * @property {() => void | Promise<void>} close
 */

/**
 * 1. Node http, keep-alive agent, straight on the daemon's unix socket: the floor.
 * @param {FixtureInfo} fixture
 * @returns {Row}
 */
export function floorRow(fixture) {
  const socketPath = fixture.dockerSocket;
  const make = () => new http.Agent({ keepAlive: true, maxSockets: 64 });
  let agent;
  const req = (options) => nodeRequest(agent, { socketPath, ...options });
  return {
    id: 'floor',
    label: 'Node http → daemon socket (floor)',
    kind: 'in-process',
    async setup() {
      agent = make();
      await req({ path: PING });
    },
    ping: () => req({ path: PING }),
    containers: () => req({ path: CONTAINERS }),
    request: () => req({ path: PING }),
    concurrencyNote: 'keep-alive agent, maxSockets 64',
    async cold() {
      const started = now();
      const fresh = make();
      await nodeRequest(fresh, { socketPath, path: PING });
      const ms = now() - started;
      fresh.destroy();
      return ms;
    },
    download: (image, onBody) => req({ path: IMAGE_GET(image), onBody }),
    upload: (file) => req({ method: 'POST', path: IMAGE_LOAD, body: createReadStream(file), length: statSync(file).size }),
    close() {
      agent.destroy();
    },
  };
}

/**
 * 2. The ssh-docker agent: one SSH connection (or a few), a dial-stdio channel per HTTP connection.
 * @param {FixtureInfo} fixture
 * @param {{ maxSockets?: number, id?: string, label?: string }} [options]
 * @returns {Row}
 */
export function oursRow(fixture, { maxSockets, id = 'ours', label = 'ssh-docker agent (warm, pooled)' } = {}) {
  let transport;
  let agent;
  const req = (options) => nodeRequest(agent, options);
  return {
    id,
    label,
    kind: 'in-process',
    async setup() {
      transport = createDockerSshTransport(transportOptions(fixture));
      agent = createDockerAgent(() => transport.openStream(), { maxSockets });
      await req({ path: PING });
      // socketVia auto: the first stream is dial-stdio and this agent would keep it alive; measure
      // on the route auto settles on (lib/paths.mjs).
      await awaitRoute(transport);
      agent.destroy();
      agent = createDockerAgent(() => transport.openStream(), { maxSockets });
      await req({ path: PING });
    },
    ping: () => req({ path: PING }),
    containers: () => req({ path: CONTAINERS }),
    request: () => req({ path: PING }),
    concurrencyNote:
      maxSockets === undefined
        ? 'createDockerAgent defaults (maxSockets 64) over the transport defaults (4 connections × 9 channels)'
        : `createDockerAgent maxSockets ${maxSockets} over the transport defaults`,
    async cold() {
      const started = now();
      const t = createDockerSshTransport(transportOptions(fixture));
      const a = createDockerAgent(() => t.openStream());
      await nodeRequest(a, { path: PING });
      const ms = now() - started;
      a.destroy();
      await t.close({ timeoutMs: 1000 });
      return ms;
    },
    download: (image, onBody) => req({ path: IMAGE_GET(image), onBody }),
    upload: (file) => req({ method: 'POST', path: IMAGE_LOAD, body: createReadStream(file), length: statSync(file).size }),
    stats: () => transport.stats(),
    async close() {
      agent.destroy();
      await transport.close({ timeoutMs: 2000 });
    },
  };
}

/**
 * 3. The docker CLI on a local socket served by serveDockerSocket over our transport.
 * @param {FixtureInfo} fixture
 * @returns {Row}
 */
export function cliProxyRow(fixture) {
  let transport;
  let server;
  let env;
  const docker = (args, options) => runDocker(args, env, options);
  return {
    id: 'cli-proxy',
    label: 'docker CLI → serveDockerSocket',
    kind: 'cli',
    async setup() {
      transport = createDockerSshTransport(transportOptions(fixture));
      server = await serveDockerSocket(() => transport.openStream());
      env = dockerEnv({ DOCKER_HOST: server.dockerHost });
      await docker(['version', '--format', '{{.Server.APIVersion}}']);
    },
    ping: () => docker(['version', '--format', '{{.Server.APIVersion}}']),
    containers: () => docker(['ps', '-q']),
    request: () => docker(['version', '--format', '{{.Server.APIVersion}}']),
    async cold() {
      const started = now();
      const t = createDockerSshTransport(transportOptions(fixture));
      const s = await serveDockerSocket(() => t.openStream());
      await runDocker(['version', '--format', '{{.Server.APIVersion}}'], dockerEnv({ DOCKER_HOST: s.dockerHost }));
      const ms = now() - started;
      await s.close({ timeoutMs: 1000 });
      await t.close({ timeoutMs: 1000 });
      return ms;
    },
    download: (image, onBody) => docker(['save', image], { stdoutSink: onBody }),
    upload: (file) => docker(['load', '-q', '-i', file]),
    async close() {
      await server.close({ timeoutMs: 2000 });
      await transport.close({ timeoutMs: 2000 });
    },
  };
}

/**
 * 4. dockerode's own `protocol: 'ssh'` (docker-modem + ssh2: a new SSH connection per request).
 * @param {FixtureInfo} fixture
 * @returns {Row}
 */
export function dockerodeSshRow(fixture) {
  const privateKey = readFileSync(fixture.identityFile);
  const make = () =>
    new Docker({ protocol: 'ssh', host: fixture.host, port: fixture.port, username: fixture.user, sshOptions: { privateKey } });
  let docker;
  const drain = (stream, onBody) =>
    new Promise((resolve, reject) => {
      stream.on('data', (chunk) => onBody?.(chunk));
      stream.once('end', resolve);
      stream.once('error', reject);
    });
  return {
    id: 'dockerode-ssh',
    label: "dockerode protocol: 'ssh'",
    kind: 'in-process',
    async setup() {
      docker = make();
      await docker.ping();
    },
    ping: () => docker.ping(),
    containers: () => docker.listContainers(),
    request: () => docker.ping(),
    concurrencyNote: 'one SSH connection per request (docker-modem)',
    async cold() {
      const started = now();
      await make().ping();
      return now() - started;
    },
    async download(image, onBody) {
      const stream = await docker.getImage(image).get();
      await drain(stream, onBody);
    },
    async upload(file) {
      const stream = await docker.loadImage(createReadStream(file), { quiet: true });
      await drain(stream);
    },
    close() {},
  };
}

/**
 * 5. The docker CLI with DOCKER_HOST=ssh:// (its connection helper spawns OpenSSH per connection).
 * @param {FixtureInfo} fixture
 * @returns {Row}
 */
export function cliSshRow(fixture) {
  const env = dockerEnv({ DOCKER_HOST: `ssh://${fixture.alias}`, PATH: `${fixture.sshBinDir}:${process.env.PATH}` });
  const docker = (args, options) => runDocker(args, env, options);
  return {
    id: 'cli-ssh',
    label: 'docker CLI, DOCKER_HOST=ssh:// (OpenSSH)',
    kind: 'cli',
    async setup() {
      await docker(['version', '--format', '{{.Server.APIVersion}}']);
    },
    ping: () => docker(['version', '--format', '{{.Server.APIVersion}}']),
    containers: () => docker(['ps', '-q']),
    request: () => docker(['version', '--format', '{{.Server.APIVersion}}']),
    async cold() {
      const started = now();
      await docker(['version', '--format', '{{.Server.APIVersion}}']);
      return now() - started;
    },
    download: (image, onBody) => docker(['save', image], { stdoutSink: onBody }),
    upload: (file) => docker(['load', '-q', '-i', file]),
    close() {},
  };
}

/**
 * 6. Bare ssh2 + dial-stdio + hand-written HTTP: the practical limit of the path.
 * @param {FixtureInfo} fixture
 * @param {{ channels?: number }} [options]
 * @returns {Row}
 */
export function bareRow(fixture, { channels = 8 } = {}) {
  const target = { host: fixture.host, port: fixture.port, username: fixture.user, identityFile: fixture.identityFile };
  let client;
  let warm;
  let pool;
  const check = ({ status }) => {
    if (status >= 400) throw new Error(`HTTP ${status}`);
    return status;
  };
  const warmChannel = async () => {
    if (warm.closed) warm = await bareChannel(client);
    return warm;
  };
  const onFresh = async (work) => {
    const channel = await bareChannel(client);
    try {
      return await work(channel);
    } finally {
      await channel.close();
    }
  };
  return {
    id: 'bare-ssh2',
    label: 'bare ssh2 + dial-stdio, hand-written HTTP',
    kind: 'in-process',
    async setup() {
      client = await bareConnect(target);
      warm = await bareChannel(client);
      const extra = [];
      for (let i = 1; i < channels; i += 1) extra.push(await bareChannel(client));
      pool = new BarePool(client, [warm, ...extra]);
      check(await warm.request({ path: PING }));
    },
    ping: async () => check(await (await warmChannel()).request({ path: PING })),
    containers: async () => check(await (await warmChannel()).request({ path: CONTAINERS })),
    request: async () => check(await pool.request({ path: PING })),
    // One session slot (of MaxSessions 10) stays free for the bulk transfers' fresh channels.
    concurrencyNote: `${channels} keep-alive channels on one connection, requests queued on them`,
    async cold() {
      const started = now();
      const c = await bareConnect(target);
      const channel = await bareChannel(c);
      check(await channel.request({ path: PING }));
      const ms = now() - started;
      c.end();
      return ms;
    },
    download: (image, onBody) => onFresh(async (channel) => check(await channel.request({ path: IMAGE_GET(image), onBody }))),
    upload: (file) =>
      onFresh(async (channel) =>
        check(await channel.request({ method: 'POST', path: IMAGE_LOAD, body: createReadStream(file), length: statSync(file).size })),
      ),
    async close() {
      await pool?.close();
      client?.end();
    },
  };
}

