// @ts-check
// `pnpm bench [--quick]`: ssh-docker against the alternatives, interleaved, on one testkit fixture.
// Writes bench/results.{md,json} (or bench/results.quick.{md,json} with --quick). See bench/README.md.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import { ROWS } from './lib/catalog.mjs';
import { oursRow } from './lib/rows.mjs';
import { burstPhase, burstTargets, renderBurst } from './lib/burst.mjs';
import { pathTargets, renderPaths, socketPathsPhase } from './lib/paths.mjs';
import { renderMarkdown, evaluateTargets } from './lib/report.mjs';
import { childrenCpuMicros, median, messageOf, now, percentile, selfCpuMicros, shuffle, withTimeout } from './lib/stats.mjs';

/** @typedef {import('./lib/rows.mjs').Row} Row */
/** What results.json says of a row: its figures, added phase by phase. @typedef {Record<string, any>} RowRecord */

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');

const MiB = 1024 * 1024;
const config = quick
  ? {
      mode: 'quick',
      imageMiB: 16,
      warmIterations: 100,
      slowEvery: 10, // CLI and dockerode-ssh rows: one sample every 10 iterations
      coldSamples: 5,
      coldPauseMs: 300,
      levels: [100],
      cliConcurrency: 10,
      bulkRounds: 1,
      rssDownloads: 4,
      rssRows: ['ours'], // the target's row only: each RSS run is a process of its own
      opTimeoutMs: 60_000,
      paths: { warmIterations: 100, bulkRounds: 1, channelSamples: 20, burstSize: 16, burstSamples: 3, slowBurstSamples: 2 },
      // Issue 17's bursts: 1,000 only (10,000 and forced dial-stdio in the full run).
      burst: { levels: [1000], clients: ['floor', 'ours'], timeoutMs: 60_000 },
    }
  : {
      mode: 'full',
      imageMiB: 256,
      warmIterations: 2000,
      slowEvery: 10,
      coldSamples: 20,
      coldPauseMs: 300,
      levels: [100, 1000],
      cliConcurrency: 20,
      bulkRounds: 5,
      rssDownloads: 4,
      rssRows: ['floor', 'ours', 'cli-proxy', 'dockerode-ssh', 'bare-ssh2'], // cli-ssh: no Node process does its work
      opTimeoutMs: 300_000,
      paths: { warmIterations: 1000, bulkRounds: 3, channelSamples: 100, burstSize: 16, burstSamples: 10, slowBurstSamples: 5 },
      burst: { levels: [1000, 10000], clients: ['floor', 'ours', 'ours-dial-stdio'], timeoutMs: 300_000 },
    };

const IMAGE = 'bench/big';
const work = join(here, '.work');
const log = (/** @type {unknown[]} */ ...parts) => console.log(`[${((now() - t0) / 1000).toFixed(1).padStart(6)} s]`, ...parts);
const t0 = now();
let crashed = false;

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

log(`mode ${config.mode}: starting the testkit fixture`);
const fixture = await startDockerSshFixture();
const fixtureInfo = {
  url: fixture.url,
  host: fixture.host,
  port: fixture.port,
  user: fixture.user,
  identityFile: fixture.identityFile,
  knownHostsFile: fixture.knownHostsFile,
  alias: fixture.alias,
  sshBinDir: fixture.sshBinDir,
  dockerSocket: fixture.dockerSocket,
};
/** @type {{ rows: RowRecord[], [phase: string]: any }} */
const results = { rows: [] };
try {
  log(`fixture up (${fixture.isolation}, ${fixture.url}); making a ${config.imageMiB} MiB image`);
  await fixture.makeImage(IMAGE, { randomMiB: config.imageMiB });

  // Rows that cannot even be set up are reported and make the exit code non-zero.
  /** @type {{ row: Row, record: RowRecord }[]} */
  const rows = [];
  for (const make of ROWS) {
    const row = make(fixture);
    /** @type {RowRecord} */
    const record = { id: row.id, label: row.label, kind: row.kind, concurrencyNote: row.concurrencyNote };
    results.rows.push(record);
    try {
      await withTimeout(row.setup(), 60_000, `${row.id} setup`);
      rows.push({ row, record });
    } catch (err) {
      record.failed = messageOf(err);
      crashed = true;
      log(`row ${row.id} cannot run: ${record.failed}`);
    }
  }
  const slow = (row) => row.kind === 'cli' || row.id === 'dockerode-ssh';

  // The reference tarball: what every row must download, and what every row uploads.
  const floor = rows.find(({ row }) => row.id === 'floor')?.row;
  if (floor === undefined) throw new Error('the floor row could not run; nothing to compare with');
  const tarFile = join(work, 'image.tar');
  const reference = createHash('sha256');
  const out = createWriteStream(tarFile);
  await floor.download(IMAGE, (chunk) => {
    reference.update(chunk);
    out.write(chunk);
  });
  await /** @type {Promise<void>} */ (new Promise((resolve, reject) => out.end((err) => (err ? reject(err) : resolve()))));
  const tarBytes = statSync(tarFile).size;
  const referenceSha = reference.digest('hex');
  log(`image tarball: ${(tarBytes / MiB).toFixed(1)} MiB`);

  // 1. Warm latency and CPU per request, interleaved: each iteration visits every row in a fresh order.
  log(`warm: ${config.warmIterations} iterations (CLI and dockerode-ssh rows every ${config.slowEvery}th)`);
  for (const { record } of rows) {
    record.warm = { ping: [], containers: [], errors: 0, cpuMicros: 0, childCpuMicros: 0, requests: 0, firstError: undefined };
  }
  const warmup = 10;
  for (let i = -warmup; i < config.warmIterations; i += 1) {
    for (const { row, record } of shuffle([...rows])) {
      if (slow(row) && (i < 0 || i % config.slowEvery !== 0)) continue;
      for (const op of ['ping', 'containers']) {
        const cpu0 = selfCpuMicros();
        const child0 = row.kind === 'cli' ? childrenCpuMicros() : 0;
        const started = now();
        try {
          await withTimeout(row[op](), config.opTimeoutMs, `${row.id} ${op}`);
        } catch (err) {
          if (i >= 0) {
            record.warm.errors += 1;
            record.warm.firstError ??= messageOf(err);
          }
          continue;
        }
        const ms = now() - started;
        if (i < 0) continue;
        record.warm[op].push(ms);
        record.warm.cpuMicros += selfCpuMicros() - cpu0;
        if (row.kind === 'cli') record.warm.childCpuMicros += childrenCpuMicros() - child0;
        record.warm.requests += 1;
      }
    }
    if (i > 0 && i % 500 === 0) log(`warm: ${i} iterations`);
  }
  for (const { record } of rows) {
    const w = record.warm;
    record.pingP50 = percentile(w.ping, 50);
    record.pingP95 = percentile(w.ping, 95);
    record.containersP50 = percentile(w.containers, 50);
    record.containersP95 = percentile(w.containers, 95);
    record.warmSamples = w.ping.length;
    record.cpuPerRequestMicros = w.requests === 0 ? Number.NaN : (w.cpuMicros + w.childCpuMicros) / w.requests;
    record.cpuPerRequestSelfMicros = w.requests === 0 ? Number.NaN : w.cpuMicros / w.requests;
    record.warmErrors = w.errors;
    record.warmFirstError = w.firstError;
    delete record.warm;
  }

  // 2. Cold connect to first response, interleaved.
  log(`cold: ${config.coldSamples} samples per row`);
  /** @typedef {{ ms: number[], errors: number, firstError?: string }} ColdSamples */
  /** @type {Map<string, ColdSamples>} */
  const cold = new Map(rows.map(({ row }) => [row.id, { ms: [], errors: 0 }]));
  for (let i = 0; i < config.coldSamples; i += 1) {
    for (const { row } of shuffle([...rows])) {
      const c = /** @type {ColdSamples} */ (cold.get(row.id));
      try {
        c.ms.push(await withTimeout(row.cold(), config.opTimeoutMs, `${row.id} cold`));
      } catch (err) {
        c.errors += 1;
        c.firstError ??= messageOf(err);
      }
      // sshd tears a closed connection down after the client has moved on (session close, process
      // exits): on a small machine that overlaps the next handshake and slows whichever row comes
      // next by 40–70 ms. Each sample starts from a quiet server instead.
      await new Promise((resolve) => setTimeout(resolve, config.coldPauseMs));
    }
  }
  for (const { row, record } of rows) {
    const c = /** @type {ColdSamples} */ (cold.get(row.id));
    record.coldP50 = median(c.ms);
    record.coldP95 = percentile(c.ms, 95);
    record.coldSamplesMs = c.ms.map((ms) => Math.round(ms * 10) / 10);
    record.coldErrors = c.errors;
    record.coldFirstError = c.firstError;
  }

  // 3. Concurrent requests (GET /_ping), all started at once; CLI rows run fewer processes.
  // Also measured here, outside the six rows: our agent with maxSockets 9 (one connection's channels),
  // to show what opening dial-stdio channels costs a burst of short requests.
  const tuned = oursRow(fixture, { maxSockets: 9, id: 'ours-maxSockets-9', label: 'ssh-docker agent, maxSockets 9' });
  /** @type {RowRecord} */
  const tunedRecord = { id: tuned.id, label: tuned.label, kind: tuned.kind, concurrencyNote: tuned.concurrencyNote };
  const concurrencyRows = [...rows];
  try {
    await tuned.setup();
    concurrencyRows.push({ row: tuned, record: tunedRecord });
    results.extra = [tunedRecord];
  } catch (err) {
    tunedRecord.failed = messageOf(err);
  }
  for (const level of config.levels) {
    for (const { row, record } of shuffle([...concurrencyRows])) {
      const n = row.kind === 'cli' ? Math.min(level, config.cliConcurrency) : level;
      log(`concurrency: ${row.id} × ${n}`);
      let errors = 0;
      /** @type {string | undefined} */
      let firstError;
      const started = now();
      const settled = await withTimeout(
        Promise.allSettled(Array.from({ length: n }, () => row.request())),
        config.opTimeoutMs,
        `${row.id} × ${n}`,
      ).catch((err) => err);
      const ms = now() - started;
      if (settled instanceof Error) {
        errors = n;
        firstError = settled.message;
      } else {
        for (const s of settled) {
          if (s.status === 'rejected') {
            errors += 1;
            firstError ??= messageOf(s.reason);
          }
        }
      }
      record.concurrency ??= {};
      record.concurrency[level] = { requests: n, errors, ms, firstError };
      // Let sshd's MaxStartups window and dockerd settle before the next row.
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (row.stats !== undefined) record.concurrency[level].transport = row.stats();
    }
  }

  // 3b. Bursts (issue 17): 1,000 and 10,000 pings at once, defaults, each in a fresh process. See lib/burst.mjs.
  try {
    results.burst = await burstPhase(fixtureInfo, config.burst, log);
  } catch (err) {
    crashed = true;
    results.burst = { error: messageOf(err) };
    log(`burst phase failed: ${results.burst.error}`);
  }

  // 4. Bulk: download (hashed, checked against the floor's bytes) and upload (docker load), interleaved.
  log(`bulk: ${config.bulkRounds} round(s) of ${(tarBytes / MiB).toFixed(0)} MiB down and up per row`);
  /** @typedef {{ down: number[], up: number[], errors: number, firstError?: string }} BulkRuns */
  /** @type {Map<string, BulkRuns>} */
  const bulk = new Map(rows.map(({ row }) => [row.id, { down: [], up: [], errors: 0 }]));
  for (let round = 0; round < config.bulkRounds; round += 1) {
    for (const { row } of shuffle([...rows])) {
      const b = /** @type {BulkRuns} */ (bulk.get(row.id));
      try {
        const hash = createHash('sha256');
        let bytes = 0;
        let started = now();
        await withTimeout(
          row.download(IMAGE, (chunk) => {
            bytes += chunk.length;
            hash.update(chunk);
          }),
          config.opTimeoutMs,
          `${row.id} download`,
        );
        const downMs = now() - started;
        const sha = hash.digest('hex');
        if (bytes !== tarBytes || sha !== referenceSha) {
          throw new Error(`download differs from the floor's: ${bytes} bytes, sha256 ${sha.slice(0, 12)}`);
        }
        b.down.push(tarBytes / MiB / (downMs / 1000));
        started = now();
        await withTimeout(row.upload(tarFile), config.opTimeoutMs, `${row.id} upload`);
        b.up.push(tarBytes / MiB / ((now() - started) / 1000));
      } catch (err) {
        b.errors += 1;
        b.firstError ??= messageOf(err);
      }
      log(`bulk: ${row.id} round ${round + 1}: ↓ ${b.down.at(-1)?.toFixed(0) ?? '—'} ↑ ${b.up.at(-1)?.toFixed(0) ?? '—'} MiB/s`);
    }
  }
  for (const { row, record } of rows) {
    const b = /** @type {BulkRuns} */ (bulk.get(row.id));
    record.downloadMiBs = median(b.down);
    record.uploadMiBs = median(b.up);
    record.downloadRuns = b.down;
    record.uploadRuns = b.up;
    record.bulkErrors = b.errors;
    record.bulkFirstError = b.firstError;
  }

  // 4b. Socket path (issue 13): auto vs forced dial-stdio vs the floor, and the new-channel cost. See lib/paths.mjs.
  try {
    results.paths = await socketPathsPhase(fixture, config.paths, { image: IMAGE, tarFile, tarBytes, referenceSha, log, opTimeoutMs: config.opTimeoutMs });
  } catch (err) {
    crashed = true;
    results.paths = { error: messageOf(err) };
    log(`paths phase failed: ${results.paths.error}`);
  }

  // 5. RSS growth while streaming rssDownloads × the image, each in-process row in a fresh process.
  for (const { row, record } of rows) {
    if (!config.rssRows.includes(row.id)) continue;
    log(`rss: ${row.id}, ${config.rssDownloads} × ${(tarBytes / MiB).toFixed(0)} MiB`);
    try {
      const { stdout } = await run(
        process.execPath,
        ['--expose-gc', join(here, 'lib', 'rss-child.mjs'), row.id, JSON.stringify(fixtureInfo), IMAGE, String(config.rssDownloads)],
        { timeout: config.opTimeoutMs * 2, maxBuffer: 1024 * 1024 },
      );
      const r = JSON.parse(/** @type {string} */ (stdout.trim().split('\n').pop()));
      record.rss = {
        baselineMiB: r.baseline / MiB,
        peakMiB: r.peak / MiB,
        growthMiB: r.growth / MiB,
        laterGrowthMiB: r.laterGrowth / MiB,
        streamedMiB: r.bytes / MiB,
        seconds: r.ms / 1000,
        // Growth of each part of RSS from the baseline to the peak sample, MiB.
        growthBreakdownMiB: Object.fromEntries(
          Object.keys(r.peakBreakdown).map((key) => [key, (r.peakBreakdown[key] - r.baselineBreakdown[key]) / MiB]),
        ),
      };
    } catch (err) {
      record.rss = { error: messageOf(err).split('\n')[0] };
    }
  }

  // The same for our row with V8's young generation capped, to tell V8's own growth from ours.
  if (rows.some(({ row }) => row.id === 'ours') && !quick) {
    const flag = '--max-semi-space-size=1';
    log(`rss: ours with ${flag}`);
    /** @type {RowRecord} */
    const record = { id: 'ours', label: `ssh-docker agent, node ${flag}`, flags: [flag] };
    try {
      const { stdout } = await run(
        process.execPath,
        ['--expose-gc', flag, join(here, 'lib', 'rss-child.mjs'), 'ours', JSON.stringify(fixtureInfo), IMAGE, String(config.rssDownloads)],
        { timeout: config.opTimeoutMs * 2, maxBuffer: 1024 * 1024 },
      );
      const r = JSON.parse(/** @type {string} */ (stdout.trim().split('\n').pop()));
      record.rss = { growthMiB: r.growth / MiB, laterGrowthMiB: r.laterGrowth / MiB, streamedMiB: r.bytes / MiB, seconds: r.ms / 1000 };
    } catch (err) {
      record.rss = { error: messageOf(err).split('\n')[0] };
    }
    results.rssExtra = [record];
  }

  for (const { row } of concurrencyRows) await row.close();
} catch (err) {
  crashed = true;
  console.error(err);
} finally {
  await fixture.stop();
  rmSync(work, { recursive: true, force: true });
}

const cpus = os.cpus();
results.meta = {
  date: new Date().toISOString(),
  mode: config.mode,
  node: process.version,
  machine: {
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  },
  docker: (await run('/usr/bin/docker', ['--version']).catch(() => ({ stdout: 'unknown' }))).stdout.trim(),
  openssh: (await run('ssh', ['-V']).catch((err) => ({ stderr: err.stderr ?? 'unknown' }))).stderr.trim(),
  fixture: { isolation: fixture.isolation, maxSessions: 'sshd default (10)', maxStartups: 'sshd default (10:30:100)' },
  config,
  durationSeconds: (now() - t0) / 1000,
};
results.targets = [...evaluateTargets(results), ...burstTargets(results), ...pathTargets(results)];

const markdown = `${renderMarkdown(results)}\n${renderBurst(results)}\n${renderPaths(results)}`;
const base = join(here, quick ? 'results.quick' : 'results');
writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(`${base}.md`, markdown);
console.log(`\n${markdown}`);
log(`wrote ${base}.md and ${base}.json`);
process.exit(crashed ? 1 : 0);
