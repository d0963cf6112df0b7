// @ts-check
// The burst phase of `pnpm bench` (issue 17): `GET /_ping` × 1,000 and × 10,000 started at once,
// every client with its default options, each measurement in a fresh process (lib/burst-child.mjs):
// wall time, errors, the SSH channels (streams) opened for the burst, and peak RSS, against the
// floor (Node http on the daemon's unix socket) measured in the same run.
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { shuffle } from './stats.mjs';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;

export const BURST_CLIENTS = {
  floor: 'Node http → daemon socket (floor; keep-alive, maxSockets 64)',
  ours: 'ssh-docker agent, defaults (socketVia auto, settled)',
  'ours-dial-stdio': "ssh-docker agent, defaults, socketVia 'dial-stdio' (a remote process per channel)",
};

async function measure(client, n, fixtureInfo, timeoutMs) {
  try {
    const { stdout } = await run(process.execPath, ['--expose-gc', join(here, 'burst-child.mjs'), client, String(n), JSON.stringify(fixtureInfo)], {
      timeout: timeoutMs,
      maxBuffer: 1024 * 1024,
    });
    return JSON.parse(/** @type {string} */ (stdout.trim().split('\n').pop()));
  } catch (err) {
    const e = /** @type {{ killed?: boolean, message?: string } | undefined} */ (err);
    const text = String(e?.killed ? `no result within ${timeoutMs / 1000} s` : (e?.message ?? e)).split('\n')[0];
    return { client, n, failed: text };
  }
}

/**
 * Runs every (level, client) pair once, clients in a fresh order per level, a pause between runs so
 * that sshd's MaxStartups window and dockerd settle. Returns `{ levels, clients, runs }`.
 */
export async function burstPhase(fixtureInfo, { levels, clients, timeoutMs, pauseMs = 1000 }, log) {
  const runs = [];
  for (const n of levels) {
    for (const client of shuffle([...clients])) {
      log(`burst: ${client} × ${n.toLocaleString('en-US')}`);
      const r = await measure(client, n, fixtureInfo, timeoutMs);
      runs.push(r);
      if (r.failed !== undefined) log(`burst: ${client} × ${n}: ${r.failed}`);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
  return { levels, clients, runs };
}

const fmtS = (ms) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : '—');
const fmtRatio = (r) => (Number.isFinite(r) ? `${r < 10 ? r.toFixed(1) : r.toFixed(0)}×` : '');

function find(burst, client, n) {
  return burst?.runs?.find((r) => r.client === client && r.n === n);
}

/** The targets for this phase, judged on the figures of this run. */
export function burstTargets(results) {
  const burst = results.burst;
  const targets = [];
  if (burst === undefined || burst.error !== undefined) return targets;
  for (const n of burst.levels) {
    const floor = find(burst, 'floor', n);
    for (const client of burst.clients.filter((c) => c !== 'floor')) {
      const r = find(burst, client, n);
      if (r === undefined) continue;
      const label = `${n.toLocaleString('en-US')} concurrent /_ping, ${client}`;
      if (r.failed !== undefined || floor === undefined || floor.failed !== undefined) {
        targets.push({ name: label, goal: '0 errors, ≤ 5× the floor, streams ≤ 2× channel capacity', met: false, actual: r.failed ?? `floor: ${floor?.failed ?? 'missing'}` });
        continue;
      }
      const ratio = r.ms / floor.ms;
      targets.push({ name: `${label}: time`, goal: '0 errors, ≤ 5× the floor', met: r.errors === 0 && ratio <= 5, actual: `${r.errors} errors, ${fmtS(r.ms)} vs ${fmtS(floor.ms)} (${fmtRatio(ratio)})` });
      targets.push({
        name: `${label}: streams opened`,
        goal: '≤ 2× the channel capacity',
        met: r.streamsOpened <= 2 * r.channelCapacity,
        actual: `${r.streamsOpened} for a capacity of ${r.channelCapacity}`,
      });
    }
  }
  return targets;
}

/** The phase's Markdown section. */
export function renderBurst(results) {
  const burst = results.burst;
  if (burst === undefined) return '';
  const lines = ['## Bursts of short requests (issue 17)', ''];
  if (burst.error !== undefined) return [...lines, `The phase failed: ${burst.error}`, ''].join('\n');
  lines.push('| Client | ' + burst.levels.map((n) => `${n.toLocaleString('en-US')} at once`).join(' | ') + ' |');
  lines.push(`|---|${burst.levels.map(() => '---').join('|')}|`);
  for (const client of burst.clients) {
    const cells = burst.levels.map((n) => {
      const r = find(burst, client, n);
      if (r === undefined) return '—';
      if (r.failed !== undefined) return `**failed**: ${r.failed}`;
      const floor = find(burst, 'floor', n);
      const ratio = client === 'floor' || floor?.ms === undefined ? '' : ` (${fmtRatio(r.ms / floor.ms)})`;
      const errors = r.errors === 0 ? '0 err' : `**${r.errors} err**`;
      const streams = r.streamsOpened === undefined ? '' : `, ${r.streamsOpened} streams (capacity ${r.channelCapacity})`;
      const rss = `, peak RSS ${(r.peakRss / MiB).toFixed(0)} MiB (+${((r.peakRss - r.baselineRss) / MiB).toFixed(0)})`;
      return `${errors}, ${fmtS(r.ms)}${ratio}${streams}${rss}`;
    });
    lines.push(`| ${BURST_CLIENTS[client] ?? client} | ${cells.join(' | ')} |`);
  }
  lines.push(
    '',
    `Each cell is one run in a fresh \`node --expose-gc\` process: one warm-up ping (SSH connection up; for socketVia auto, the route settled), a GC, then that many \`GET /_ping\` started at once; wall time until all settled (ratio to the floor of the same size, this run), the streams (SSH channels) the transport opened for the burst (warm-up excluded) against its channel capacity (\`transport.stats()\`), and peak RSS sampled every 10 ms (growth over the pre-burst baseline). ` +
      "The fixture's sshd runs with sshd's own MaxSessions (10) and MaxStartups (10:30:100): the fixture writes neither. Agent and transport options are all at their defaults.",
    '',
  );
  return lines.join('\n');
}
