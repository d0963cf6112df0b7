import { mkdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { FixtureError } from '../errors.js';
import { debug, isAlive, run, runOk, runSyncQuiet } from './proc.js';
import { RUN_DIR } from './system.js';

/** 198.18.0.0/15 (RFC 2544, set aside for network benchmarks) cut into /30 blocks. */
const BLOCKS = 1 << 15;

export interface NetnsLink {
  name: string; // netns name
  hostIf: string; // veth end on this side
  hostAddress: string; // this side's address
  address: string; // the fixture's address
  block: number;
  lockFile: string;
}

function blockAddress(block: number, offset: number): string {
  const value = (198 << 24) + (18 << 16) + block * 4 + offset;
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function lockDir(): string {
  const dir = `${RUN_DIR}/blocks`;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Claims a free /30 with an O_EXCL lock file (`pid netns dir`); stale locks of dead processes are reclaimed. */
function claimBlock(start: number, owner: string, inUse: Set<string>): { block: number; lockFile: string } {
  const dir = lockDir();
  for (let i = 0; i < BLOCKS; i++) {
    const block = (start + i) % BLOCKS;
    if (block === 0) continue;
    if (inUse.has(blockAddress(block, 1)) || inUse.has(blockAddress(block, 2))) continue;
    const lockFile = `${dir}/${block}`;
    try {
      writeFileSync(lockFile, owner, { flag: 'wx', mode: 0o600 });
      return { block, lockFile };
    } catch {
      try {
        const pid = Number(readFileSync(lockFile, 'utf8').split(' ')[0]);
        if (pid > 0 && !isAlive(pid)) {
          reapStale(lockFile);
          writeFileSync(lockFile, owner, { flag: 'wx', mode: 0o600 });
          return { block, lockFile };
        }
      } catch {
        // raced with another process: try the next block
      }
    }
  }
  throw new FixtureError('ERR_FIXTURE_START', 'no free /30 left in 198.18.0.0/15 for a fixture');
}

/** Removes what a dead process left: its namespace (which takes its veth along) and its lock. */
function reapStale(lockFile: string): void {
  try {
    const [, netns] = readFileSync(lockFile, 'utf8').split(' ');
    if (netns && /^sdk-\d+-\d+$/.test(netns)) runSyncQuiet('ip', ['netns', 'del', netns]);
  } catch {
    // gone already
  }
  rmSync(lockFile, { force: true });
}

let counter = 0;

export async function createNetns(ip: string, owner: { pid: number; dir: string }): Promise<NetnsLink> {
  const n = ++counter;
  const name = `sdk-${owner.pid}-${n}`;
  const addrs = await runOk(ip, ['-4', '-o', 'addr', 'show']);
  const inUse = new Set([...addrs.matchAll(/inet (\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1] ?? ''));
  const start = (owner.pid * 37 + n * 7919) % BLOCKS;
  const { block, lockFile } = claimBlock(start, `${owner.pid} ${name} ${owner.dir}`, inUse);
  const link: NetnsLink = {
    name,
    hostIf: `sdkv${block}`,
    hostAddress: blockAddress(block, 1),
    address: blockAddress(block, 2),
    block,
    lockFile,
  };
  try {
    const added = await run(ip, ['netns', 'add', name]);
    if (added.code !== 0) {
      throw new FixtureError(
        'ERR_FIXTURE_PRIVILEGE',
        `cannot create a network namespace (${added.stderr.trim()}): run as root with CAP_SYS_ADMIN and CAP_NET_ADMIN (e.g. \`docker run --privileged\`), or pass { isolation: 'loopback' }`,
      );
    }
    await runOk(ip, ['link', 'add', link.hostIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    await runOk(ip, ['addr', 'add', `${link.hostAddress}/30`, 'dev', link.hostIf]);
    await runOk(ip, ['link', 'set', link.hostIf, 'up']);
    await runOk(ip, ['-n', name, 'addr', 'add', `${link.address}/30`, 'dev', 'eth0']);
    await runOk(ip, ['-n', name, 'link', 'set', 'eth0', 'up']);
    await runOk(ip, ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await destroyNetns(ip, link);
    throw err;
  }
  debug('netns %s: %s <-> %s via %s', name, link.hostAddress, link.address, link.hostIf);
  return link;
}

export async function destroyNetns(ip: string, link: NetnsLink): Promise<void> {
  await run(ip, ['netns', 'del', link.name]);
  await run(ip, ['link', 'del', link.hostIf]);
  rmSync(link.lockFile, { force: true });
}

export function destroyNetnsSync(ip: string, link: NetnsLink): void {
  runSyncQuiet(ip, ['netns', 'del', link.name]);
  runSyncQuiet(ip, ['link', 'del', link.hostIf]);
  rmSync(link.lockFile, { force: true });
}

/**
 * Tells whether a process is inside the namespace `name`, by the comparison `ip netns pids` makes
 * (its /proc/PID/ns/net against the inode of /run/netns/NAME), synchronously so that the exit hook
 * can use it too. sshd overwrites its environment with its process title, so its sessions carry no
 * marker: this is the only way to find them.
 */
export function netnsMember(name: string): (pid: number) => boolean {
  let id: string;
  try {
    id = `net:[${String(statSync(`/run/netns/${name}`).ino)}]`;
  } catch {
    return () => false;
  }
  return (pid) => {
    try {
      return readlinkSync(`/proc/${String(pid)}/ns/net`) === id;
    } catch {
      return false; // The process ended meanwhile.
    }
  };
}
