// @ts-check
// The socket-path phase of `pnpm bench` (issue 13): the same transport with `socketVia` auto (the
// default: direct-streamlocal once proven to reach the daemon dial-stdio reaches) and forced to
// dial-stdio, against the floor, interleaved; and what a new channel costs on a warm connection.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import http from 'node:http';
import { pipeline } from 'node:stream/promises';
import { createDockerAgent } from '@ssh-docker/http';
import { createDockerSshTransport } from '@ssh-docker/transport';
import { median, messageOf, now, percentile, shuffle, withTimeout } from './stats.mjs';

/** @typedef {import('@ssh-docker/transport').DockerSshTransport} DockerSshTransport */
/** @typedef {import('@ssh-docker/transport').DockerSshTransportOptions} DockerSshTransportOptions */
/**
 * One path under test: the floor, or a transport with its agent.
 * @typedef {object} PathRow
 * @property {string} id
 * @property {string} label
 * @property {string} via
 * @property {DockerSshTransport} [transport]
 * @property {() => Promise<unknown>} ping
 * @property {(image: string, onBody: (chunk: Buffer) => void) => Promise<unknown>} download
 * @property {(file: string) => Promise<unknown>} upload
 * @property {() => void | Promise<void>} close
 */

const MiB = 1024 * 1024;
const PING_REQUEST = Buffer.from('GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n');

/**
 * Waits until auto has settled on a route (polled: its outcome shows in stats().socketVia), up to
 * `ms`; resolves with the route in use either way.
 */
/**
 * @param {DockerSshTransport} transport
 * @param {number} [ms]
 */
export async function awaitRoute(transport, ms = 15_000) {
  const deadline = now() + ms;
  while (transport.stats().socketVia !== 'streamlocal' && now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  return transport.stats().socketVia;
}

/**
 * One request on a Node http.Agent (or a socket path); resolves once the body is consumed.
 * @param {http.Agent} agent
 * @param {import('./rows.mjs').RequestOptions} options
 * @returns {Promise<number | undefined>}
 */
function request(agent, { method = 'GET', path, socketPath, body, length, onBody }) {
  return new Promise((resolve, reject) => {
    /** @type {Record<string, string>} */
    const headers = { Host: 'docker' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/x-tar';
      headers['Content-Length'] = String(length);
    }
    const req = http.request({ agent, method, path, socketPath, host: 'docker', port: 80, headers }, (res) => {
      res.on('data', (chunk) => onBody?.(chunk));
      res.once('end', () => ((res.statusCode ?? 0) >= 400 ? reject(new Error(`HTTP ${res.statusCode} for ${method} ${path}`)) : resolve(res.statusCode)));
      res.once('error', reject);
    });
    req.once('error', reject);
    if (body === undefined) req.end();
    else pipeline(body, req).catch(reject);
  });
}

/** A fresh channel, one `GET /_ping` written raw; ms from asking for the channel to the answer's first byte. */
/** @param {DockerSshTransport} transport */
async function firstByte(transport) {
  const started = now();
  const stream = await transport.openStream();
  /** @type {Promise<number>} */
  const answered = new Promise((resolve, reject) => {
    stream.once('data', () => {
      const ms = now() - started;
      stream.destroy();
      resolve(ms);
    });
    stream.once('error', reject);
    stream.once('close', () => reject(new Error('the channel closed before answering')));
    stream.write(PING_REQUEST);
  });
  return answered;
}

/** `GET /_ping` over one given stream with Node's http client (Connection: close); resolves once answered. */
/**
 * @param {import('node:stream').Duplex} stream
 * @returns {Promise<void>}
 */
function pingOver(stream) {
  return new Promise((resolve, reject) => {
    const req = http.request({ path: '/_ping', host: 'docker', headers: { Host: 'docker', Connection: 'close' }, createConnection: () => /** @type {import('node:net').Socket} */ (stream) }, (res) => {
      res.resume();
      res.once('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.once('error', reject);
    req.end();
  });
}

/** N fresh channels at once on a warm transport, each answering one `/_ping`: wall time and errors. */
/**
 * @param {DockerSshTransport} transport
 * @param {number} n
 * @returns {Promise<BurstRun>}
 * @typedef {{ ms: number, errors: number, firstError: string | undefined }} BurstRun
 */
async function channelBurst(transport, n) {
  const started = now();
  const settled = await Promise.allSettled(
    Array.from({ length: n }, async () => {
      const stream = await transport.openStream();
      try {
        await pingOver(stream);
      } finally {
        stream.destroy();
      }
    }),
  );
  const errors = settled.filter((s) => s.status === 'rejected');
  return { ms: now() - started, errors: errors.length, firstError: errors[0] === undefined ? undefined : messageOf(errors[0].reason) };
}

/** One path under test: a transport, and a keep-alive agent whose streams take the route settled on. */
/**
 * @param {string} id
 * @param {string} label
 * @param {DockerSshTransportOptions} options
 */
async function pathRow(id, label, options) {
  const transport = createDockerSshTransport(options);
  // The first request goes by dial-stdio while auto learns the endpoint; the agent that made it
  // keeps that channel alive, so it is dropped and the measured agent starts on the settled route.
  const first = createDockerAgent(() => transport.openStream());
  await request(first, { path: '/_ping' });
  const via = options.socketVia === 'dial-stdio' ? 'dial-stdio' : await awaitRoute(transport);
  first.destroy();
  const agent = createDockerAgent(() => transport.openStream());
  await request(agent, { path: '/_ping' });
  return {
    id,
    label,
    via,
    transport,
    ping: () => request(agent, { path: '/_ping' }),
    download: (image, onBody) => request(agent, { path: `/images/get?names=${encodeURIComponent(image)}`, onBody }),
    upload: (file) => request(agent, { method: 'POST', path: '/images/load?quiet=1', body: createReadStream(file), length: statSync(file).size }),
    async close() {
      agent.destroy();
      await transport.close({ timeoutMs: 1000 });
    },
  };
}

/** @param {import('./rows.mjs').FixtureInfo} fixture */
function floorRow(fixture) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const req = (o) => request(agent, { socketPath: fixture.dockerSocket, ...o });
  return {
    id: 'floor',
    label: 'Node http → daemon socket (floor)',
    via: 'local socket',
    ping: () => req({ path: '/_ping' }),
    download: (image, onBody) => req({ path: `/images/get?names=${encodeURIComponent(image)}`, onBody }),
    upload: (file) => req({ method: 'POST', path: '/images/load?quiet=1', body: createReadStream(file), length: statSync(file).size }),
    close() {
      agent.destroy();
    },
  };
}

/**
 * Runs the phase. `config`: warm iterations, channel samples, burst size and samples, bulk rounds.
 * Returns the rows' figures and the new-channel figures, for `results.paths`.
 */
/**
 * @param {import('@ssh-docker/testkit').DockerSshFixture} fixture
 * @param {{ warmIterations: number, bulkRounds: number, channelSamples: number, burstSize: number, burstSamples: number, slowBurstSamples: number }} config
 * @param {{ image: string, tarFile: string, tarBytes: number, referenceSha: string, log: (...parts: unknown[]) => void, opTimeoutMs: number }} context
 */
export async function socketPathsPhase(fixture, config, { image, tarFile, tarBytes, referenceSha, log, opTimeoutMs }) {
  const c = config;
  /** @type {PathRow[]} */
  const rows = [floorRow(fixture)];
  rows.push(await pathRow('auto', "ssh-docker, socketVia 'auto' (default)", fixture.transportOptions()));
  rows.push(await pathRow('dial-stdio', "ssh-docker, socketVia 'dial-stdio'", { ...fixture.transportOptions(), socketVia: 'dial-stdio' }));
  /** @type {{ config: typeof c, rows: Record<string, any>[], slowShell?: Record<string, any> }} */
  const out = { config: c, rows: rows.map(({ id, label, via }) => ({ id, label, via })) };
  const record = (/** @type {string} */ id) => /** @type {Record<string, any>} */ (out.rows.find((r) => r.id === id));
  try {
    // Warm /_ping, one at a time, rows in a fresh order each iteration.
    log(`paths: warm, ${c.warmIterations} iterations`);
    /** @type {Map<string, number[]>} */
    const warm = new Map(rows.map((r) => [r.id, []]));
    const warmOf = (/** @type {string} */ id) => /** @type {number[]} */ (warm.get(id));
    for (let i = -10; i < c.warmIterations; i += 1) {
      for (const row of shuffle([...rows])) {
        const started = now();
        await withTimeout(row.ping(), opTimeoutMs, `${row.id} ping`);
        if (i >= 0) warmOf(row.id).push(now() - started);
      }
    }
    for (const row of rows) Object.assign(record(row.id), { pingP50: median(warmOf(row.id)), pingP95: percentile(warmOf(row.id), 95), pingSamples: warmOf(row.id).length });

    // Bulk, interleaved: download (hashed against the floor's bytes), then upload.
    log(`paths: bulk, ${c.bulkRounds} round(s)`);
    /** @typedef {{ down: number[], up: number[], errors: number, firstError?: string }} BulkRuns */
    /** @type {Map<string, BulkRuns>} */
    const bulk = new Map(rows.map((r) => [r.id, { down: [], up: [], errors: 0 }]));
    for (let round = 0; round < c.bulkRounds; round += 1) {
      for (const row of shuffle([...rows])) {
        const b = /** @type {BulkRuns} */ (bulk.get(row.id));
        try {
          const hash = createHash('sha256');
          let bytes = 0;
          let started = now();
          await withTimeout(row.download(image, (chunk) => ((bytes += chunk.length), hash.update(chunk))), opTimeoutMs, `${row.id} download`);
          const ms = now() - started;
          const sha = hash.digest('hex');
          if (bytes !== tarBytes || sha !== referenceSha) throw new Error(`download differs from the floor's: ${bytes} bytes`);
          b.down.push(tarBytes / MiB / (ms / 1000));
          started = now();
          await withTimeout(row.upload(tarFile), opTimeoutMs, `${row.id} upload`);
          b.up.push(tarBytes / MiB / ((now() - started) / 1000));
        } catch (err) {
          b.errors += 1;
          b.firstError ??= messageOf(err);
        }
      }
    }
    for (const row of rows) {
      const b = /** @type {BulkRuns} */ (bulk.get(row.id));
      Object.assign(record(row.id), { downloadMiBs: median(b.down), uploadMiBs: median(b.up), downloadRuns: b.down, uploadRuns: b.up, bulkErrors: b.errors, bulkFirstError: b.firstError });
    }

    // A new channel on a warm connection: time to the first byte of one, and a burst of N at once.
    const ssh = /** @type {(PathRow & { transport: DockerSshTransport })[]} */ (rows.filter((r) => r.transport !== undefined));
    log(`paths: new channels, ${c.channelSamples} first-byte samples, ${c.burstSamples} bursts of ${c.burstSize}`);
    /** @type {Map<string, number[]>} */
    const ttfb = new Map(ssh.map((r) => [r.id, []]));
    const ttfbOf = (/** @type {string} */ id) => /** @type {number[]} */ (ttfb.get(id));
    for (let i = 0; i < c.channelSamples; i += 1) {
      for (const row of shuffle([...ssh])) ttfbOf(row.id).push(await withTimeout(firstByte(row.transport), opTimeoutMs, `${row.id} first byte`));
    }
    const bursts = await burstsOf(ssh, c, opTimeoutMs);
    for (const row of ssh) {
      Object.assign(record(row.id), { firstByteP50: median(ttfbOf(row.id)), firstByteP95: percentile(ttfbOf(row.id), 95), burst: bursts.get(row.id) });
    }
  } finally {
    for (const row of rows) await row.close();
  }

  // The same bursts for a user whose login shell sleeps (as nvm or conda make one): dial-stdio starts
  // a shell per channel, a direct-streamlocal channel none.
  log(`paths: bursts as ${fixture.slowShellUser} (shell rc sleeps ${fixture.slowShellSeconds} s)`);
  const slow = [
    await pathRow('auto', "socketVia 'auto'", fixture.transportOptions({ user: fixture.slowShellUser })),
    await pathRow('dial-stdio', "socketVia 'dial-stdio'", { ...fixture.transportOptions({ user: fixture.slowShellUser }), socketVia: 'dial-stdio' }),
  ];
  try {
    const bursts = await burstsOf(slow, { ...c, burstSamples: c.slowBurstSamples }, opTimeoutMs);
    out.slowShell = { user: fixture.slowShellUser, shellSeconds: fixture.slowShellSeconds, rows: slow.map((r) => ({ id: r.id, label: r.label, via: r.via, burst: bursts.get(r.id) })) };
  } finally {
    for (const row of slow) await row.close();
  }
  return out;
}

/** `burstSamples` bursts of `burstSize` fresh channels per row, interleaved, after one untimed burst each (it opens the connections a burst needs). */
/**
 * @param {(PathRow & { transport: DockerSshTransport })[]} rows
 * @param {{ burstSize: number, burstSamples: number }} c
 * @param {number} opTimeoutMs
 */
async function burstsOf(rows, c, opTimeoutMs) {
  /** @type {Map<string, BurstRun[]>} */
  const runs = new Map(rows.map((r) => [r.id, []]));
  const runsOf = (/** @type {string} */ id) => /** @type {BurstRun[]} */ (runs.get(id));
  for (const row of rows) await withTimeout(channelBurst(row.transport, c.burstSize), opTimeoutMs, `${row.id} burst`);
  for (let i = 0; i < c.burstSamples; i += 1) {
    for (const row of shuffle([...rows])) {
      runsOf(row.id).push(await withTimeout(channelBurst(row.transport, c.burstSize), opTimeoutMs, `${row.id} burst`));
      // sshd frees a closed session a moment after its channel: start each burst from a quiet server.
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  /** @type {Map<string, Record<string, any>>} */
  const out = new Map();
  for (const row of rows) {
    const list = runsOf(row.id);
    const errors = list.reduce((sum, r) => sum + r.errors, 0);
    out.set(row.id, { size: c.burstSize, p50: median(list.map((r) => r.ms)), max: Math.max(...list.map((r) => r.ms)), samples: list.length, errors, firstError: list.find((r) => r.firstError)?.firstError });
  }
  return out;
}

const fmtMs = (ms) => (Number.isFinite(ms) ? (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)) : '—');
const fmtRatio = (r) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : '—');
const pct = (r) => (Number.isFinite(r) ? `${(r * 100).toFixed(0)}%` : '—');

/** Issue 13's targets, as ratios from this one run: `paths` from this phase, `rows` the main phase's (cold connect). */
export function pathTargets(results) {
  const paths = results.paths;
  const targets = [];
  const add = (name, goal, met, actual) => targets.push({ name, goal, met: Number.isNaN(met) ? null : met, actual });
  if (paths?.rows === undefined) return targets;
  const get = (id) => paths.rows.find((r) => r.id === id);
  const floor = get('floor');
  const auto = get('auto');
  if (floor !== undefined && auto !== undefined) {
    const d = auto.downloadMiBs / floor.downloadMiBs;
    const u = auto.uploadMiBs / floor.uploadMiBs;
    const p = auto.pingP50 / floor.pingP50;
    add('auto: bulk download vs floor', '≥ 90% of the floor', d >= 0.9, `${auto.downloadMiBs?.toFixed(0)} vs ${floor.downloadMiBs?.toFixed(0)} MiB/s (${pct(d)})`);
    add('auto: bulk upload vs floor', '≥ 90% of the floor', u >= 0.9, `${auto.uploadMiBs?.toFixed(0)} vs ${floor.uploadMiBs?.toFixed(0)} MiB/s (${pct(u)})`);
    add('auto: warm `/_ping` p50 vs floor', '≤ 1.5× the floor', p <= 1.5, `${fmtMs(auto.pingP50)} vs ${fmtMs(floor.pingP50)} ms (${fmtRatio(p)})`);
  }
  if (auto?.firstByteP50 !== undefined) {
    add('auto: new channel on a warm connection, to first byte (p50)', '≤ 5 ms', auto.firstByteP50 <= 5, `${fmtMs(auto.firstByteP50)} ms (dial-stdio: ${fmtMs(get('dial-stdio')?.firstByteP50)} ms)`);
  }
  const ours = results.rows.find((r) => r.id === 'ours' && r.failed === undefined);
  const bare = results.rows.find((r) => r.id === 'bare-ssh2' && r.failed === undefined);
  if (ours?.coldP50 !== undefined && bare?.coldP50 !== undefined) {
    const r = ours.coldP50 / bare.coldP50;
    add('cold connect to first response vs bare ssh2 handshake + ping', '≤ 1.1×', r <= 1.1, `${fmtMs(ours.coldP50)} vs ${fmtMs(bare.coldP50)} ms (${fmtRatio(r)})`);
  }
  return targets;
}

/** The phase's section of results.md. */
export function renderPaths(results) {
  const paths = results.paths;
  if (paths === undefined) return '';
  const lines = ['## Socket path: auto (direct-streamlocal) vs dial-stdio', ''];
  if (paths.error !== undefined) return [...lines, `Could not run: ${paths.error}`, ''].join('\n');
  const floor = paths.rows.find((r) => r.id === 'floor');
  const c = paths.config;
  lines.push(
    `One transport per row (fixture defaults: key user), a keep-alive agent started after auto settled; rows interleaved. Ratios to the floor. ` +
      `Warm: ${c.warmIterations} \`/_ping\` one at a time. Bulk: ${c.bulkRounds} round(s) of the image down (SHA-256 checked) and up, median. ` +
      `New channel: a fresh channel on the warm connection, \`GET /_ping\` written at once, ms to the answer's first byte (${c.channelSamples} samples); ` +
      `burst: ${c.burstSize} fresh channels at once, one \`/_ping\` each, until all answered (${c.burstSamples} bursts, after one untimed).`,
    '',
    '| Row | path taken | `/_ping` p50 | p95 | download MiB/s | upload MiB/s | new channel → first byte p50 | p95 | burst of N p50 | max |',
    '|---|---|---|---|---|---|---|---|---|---|',
  );
  for (const r of paths.rows) {
    const ratio = (v, f) => (Number.isFinite(v) && Number.isFinite(f) && f > 0 ? ` (${fmtRatio(v / f)})` : '');
    const burstCell = r.burst === undefined ? '—' : `${fmtMs(r.burst.p50)} ms${r.burst.errors ? ` **${r.burst.errors} err**` : ''}`;
    lines.push(
      `| ${r.label} | ${r.via} | ${fmtMs(r.pingP50)} ms${ratio(r.pingP50, floor?.pingP50)} | ${fmtMs(r.pingP95)} ms | ` +
        `${r.downloadMiBs?.toFixed(0) ?? '—'}${ratio(r.downloadMiBs, floor?.downloadMiBs)} | ${r.uploadMiBs?.toFixed(0) ?? '—'}${ratio(r.uploadMiBs, floor?.uploadMiBs)} | ` +
        `${r.firstByteP50 === undefined ? '—' : `${fmtMs(r.firstByteP50)} ms`} | ${r.firstByteP95 === undefined ? '—' : `${fmtMs(r.firstByteP95)} ms`} | ${burstCell} | ${r.burst === undefined ? '—' : `${fmtMs(r.burst.max)} ms`} |`,
    );
  }
  if (paths.slowShell !== undefined) {
    const s = paths.slowShell;
    lines.push('', `Bursts of ${c.burstSize} as \`${s.user}\`, whose shell rc file sleeps ${s.shellSeconds} s (${c.slowBurstSamples} bursts): ` + s.rows.map((r) => `${r.label} (${r.via}) p50 ${fmtMs(r.burst.p50)} ms, max ${fmtMs(r.burst.max)} ms${r.burst.errors ? `, **${r.burst.errors} err**` : ''}`).join('; ') + '.');
  }
  const errs = paths.rows.filter((r) => r.bulkErrors || r.burst?.errors).map((r) => `- ${r.id}: ${r.bulkFirstError ?? r.burst?.firstError}`);
  if (errs.length > 0) lines.push('', ...errs);
  lines.push('');
  return lines.join('\n');
}
