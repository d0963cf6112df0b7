// @ts-check
// Run by lib/burst.mjs in a fresh `node --expose-gc` per measurement, so that one client's heap
// and sockets do not bleed into the next: sets the client up (one ping: connection up, route
// settled), takes a baseline RSS after a GC, starts `n` `GET /_ping` at once, samples RSS every
// 10 ms until all settled, and prints one JSON line.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { createDockerAgent } from '@ssh-docker/http';
import { createDockerSshTransport } from '@ssh-docker/transport';
import { awaitRoute } from './paths.mjs';

const [client, nText, fixtureJson] = process.argv.slice(2);
const fixture = JSON.parse(/** @type {string} */ (fixtureJson));
const n = Number(nText);

/**
 * @param {http.Agent} agent
 * @param {string | undefined} socketPath
 * @returns {Promise<void>}
 */
function ping(agent, socketPath) {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, socketPath, method: 'GET', path: '/_ping', host: 'docker', port: 80 }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode} for GET /_ping`))));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

// Each client with its defaults; the floor as the other tables' floor row (keep-alive, maxSockets 64).
let agent;
let socketPath;
let transport;
if (client === 'floor') {
  socketPath = fixture.dockerSocket;
  agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
} else if (client === 'ours' || client === 'ours-dial-stdio') {
  /** @type {import('@ssh-docker/transport').DockerSshTransportOptions} */
  const options = {
    url: `ssh://${fixture.user}@${fixture.host}:${fixture.port}`,
    configFile: false,
    identityFiles: [fixture.identityFile],
    knownHostsFiles: [fixture.knownHostsFile],
    agent: false,
    ...(client === 'ours-dial-stdio' ? { socketVia: 'dial-stdio' } : {}),
  };
  transport = createDockerSshTransport(options);
  agent = createDockerAgent(() => transport.openStream());
} else {
  throw new Error(`unknown burst client ${client}`);
}

await ping(agent, socketPath);
// socketVia auto: measure on the route auto settles on, as a user's second request would.
const via = transport === undefined ? 'unix socket' : client === 'ours' ? await awaitRoute(transport) : transport.stats().socketVia;
globalThis.gc?.();
await new Promise((resolve) => setTimeout(resolve, 100));
const before = transport?.stats();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 10);
const started = performance.now();
const settled = await Promise.allSettled(Array.from({ length: n }, () => ping(agent, socketPath)));
const ms = performance.now() - started;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
const failed = settled.filter((s) => s.status === 'rejected');
const after = transport?.stats();
const result = {
  client,
  n,
  ms,
  errors: failed.length,
  firstError: failed[0] === undefined ? undefined : String(failed[0].reason?.code ?? '') + ' ' + String(failed[0].reason?.message ?? failed[0].reason),
  via,
  // Streams (channels) opened for the burst itself, after the warm-up's.
  streamsOpened: after === undefined ? undefined : after.streamsOpened - /** @type {import('@ssh-docker/transport').TransportStats} */ (before).streamsOpened,
  channelCapacity: after?.channelCapacity,
  connections: after?.connections,
  baselineRss: baseline,
  peakRss: peak,
};
agent.destroy();
await transport?.close({ timeoutMs: 2000 });
console.log(JSON.stringify(result));
process.exit(0);
