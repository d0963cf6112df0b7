import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { debug, hasEnv, isAlive, killQuiet, listProcesses, runSyncQuiet } from './proc.js';
import { RUN_DIR } from './system.js';

/** Every process a fixture starts carries `MARKER=<fixture id>` in its environment. */
export const MARKER = 'SSH_DOCKER_TESTKIT_FIXTURE';

const REGISTRY = `${RUN_DIR}/fixtures`;

/** What a crashed process's fixture left, written at start so that a later process can remove it. */
export interface FixtureRecord {
  pid: number;
  id: string;
  dir: string;
  netns?: string;
  hostIf?: string;
  lockFile?: string;
}

const recordFile = (id: string): string => `${REGISTRY}/${id}.json`;

export function register(record: FixtureRecord): void {
  mkdirSync(REGISTRY, { recursive: true, mode: 0o700 });
  writeFileSync(recordFile(record.id), JSON.stringify(record), { mode: 0o600 });
}

export function unregister(id: string): void {
  rmSync(recordFile(id), { force: true });
}

/** Unmounts (lazily) every mount point at or under dir, deepest first. */
export function unmountUnder(dir: string): void {
  let mountInfo: string;
  try {
    mountInfo = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    return;
  }
  const points = mountInfo
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .filter((point) => point === dir || point.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
  for (const point of points) runSyncQuiet('umount', ['-l', point]);
}

/** Only paths the fixture itself creates are ever removed: `<tmp>/sdk-XXXXXX`. */
function isFixtureDir(dir: string): boolean {
  return /^sdk-[A-Za-z0-9]{6}$/.test(basename(dir)) && dirname(dir).length > 1;
}

function reap(record: FixtureRecord): void {
  const entry = `${MARKER}=${record.id}`;
  for (const p of listProcesses()) if (hasEnv(p.pid, entry)) killQuiet(p.pid, 'SIGKILL');
  if (record.netns && /^sdk-\d+-\d+$/.test(record.netns)) runSyncQuiet('ip', ['netns', 'del', record.netns]);
  if (record.hostIf && /^sdkv\d+$/.test(record.hostIf)) runSyncQuiet('ip', ['link', 'del', record.hostIf]);
  if (isFixtureDir(record.dir)) {
    unmountUnder(record.dir);
    rmSync(record.dir, { recursive: true, force: true });
  }
  if (record.lockFile?.startsWith(`${RUN_DIR}/blocks/`)) rmSync(record.lockFile, { force: true });
  unregister(record.id);
}

let swept = false;

/**
 * Once per process: removes what fixtures of processes that died without `stop()` or their exit
 * hook (SIGKILL, OOM, a crashed CI runner) left behind.
 */
export function sweepStale(again = false): void {
  if (swept && !again) return;
  swept = true;
  let names: string[];
  try {
    names = readdirSync(REGISTRY);
  } catch {
    return;
  }
  for (const name of names) {
    try {
      const record = JSON.parse(readFileSync(`${REGISTRY}/${name}`, 'utf8')) as FixtureRecord;
      if (record.pid === process.pid || isAlive(record.pid)) continue;
      debug('removing what the fixture %s of dead process %d left', record.id, record.pid);
      reap(record);
    } catch (err) {
      debug('cannot read fixture record %s: %s', name, (err as Error).message);
    }
  }
}
