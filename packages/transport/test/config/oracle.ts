/**
 * The oracle: the real OpenSSH 9.2p1 `ssh -G -F file name`, run with a controlled environment.
 * `ssh -G` prints the resolved config and exits: it opens no connection. Configs given to it here
 * never contain a `Match exec` with side effects.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveSshTarget } from '../../src/config/index.js';
import type { ResolvedSshTarget, ResolveSshTargetOptions } from '../../src/config/index.js';

export const SSH = '/usr/bin/ssh';
export const AGENT_SOCK = '/tmp/ssh-docker-test-agent.sock';
const pw = userInfo();

/** A throwaway home directory with files in it (paths relative to the home). */
export interface Home {
  readonly dir: string;
  readonly env: Record<string, string>;
  write(relative: string, text: string): string;
  cleanup(): void;
}

export function makeHome(): Home {
  const dir = mkdtempSync(join(tmpdir(), 'ssh-docker-config-'));
  mkdirSync(join(dir, '.ssh'), { mode: 0o700 });
  return {
    dir,
    // What `env -i HOME=… USER=… SSH_AUTH_SOCK=…` gives ssh. PATH is for Match exec commands.
    env: { HOME: dir, USER: pw.username, SSH_AUTH_SOCK: AGENT_SOCK, PATH: '/usr/bin:/bin', TESTVAR: 'tv' },
    write(relative, text) {
      const path = join(dir, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text, { mode: 0o644 });
      return path;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `ssh -G` output as keyword → printed lines (several for repeated keywords). */
export type SshGOutput = { ok: true; values: Map<string, string[]> } | { ok: false; stderr: string };

export function sshG(configPath: string, name: string, home: Home): SshGOutput {
  const res = spawnSync(SSH, ['-G', '-F', configPath, name], { env: home.env, encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (res.status !== 0) return { ok: false, stderr: res.stderr };
  const values = new Map<string, string[]>();
  for (const line of res.stdout.split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const key = sp === -1 ? line : line.slice(0, sp);
    // ssh prints ~ expansions with the password-database home; our resolver gets the test home.
    const value = (sp === -1 ? '' : line.slice(sp + 1)).split(pw.homedir).join(home.dir);
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  return { ok: true, values };
}

/** Options that make our resolver see what ssh sees. */
export function oracleOptions(home: Home, configFile: string): ResolveSshTargetOptions {
  return {
    configFile,
    env: home.env,
    homeDir: home.dir,
    localUser: pw.username,
    localUid: pw.uid,
    localHostname: hostname(),
  };
}

export const SCALARS = ['host', 'hostname', 'user', 'port', 'stricthostkeychecking', 'identitiesonly', 'forwardagent', 'batchmode', 'compression', 'addressfamily', 'serveraliveinterval', 'serveralivecountmax', 'connecttimeout'] as const;
export const OPTIONAL = ['hostkeyalias', 'identityagent', 'proxyjump', 'proxycommand', 'preferredauthentications'] as const;
export const MULTILINE = ['identityfile', 'certificatefile', 'sendenv', 'localforward', 'remoteforward', 'dynamicforward'] as const;
export const ONELINE = ['userknownhostsfile', 'globalknownhostsfile'] as const;

/** Our result in `ssh -G`'s printed form, for every key we resolve. */
export function asPrinted(r: ResolvedSshTarget): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const k of SCALARS) out.set(k, [String(r[k])]);
  for (const k of OPTIONAL) {
    const v = r[k];
    if (v !== undefined) out.set(k, [v]);
  }
  for (const k of MULTILINE) if (r[k].length > 0) out.set(k, [...r[k]]);
  for (const k of ONELINE) out.set(k, [r[k].join(' ')]);
  if (r.hostkeyalgorithms !== undefined) out.set('hostkeyalgorithms', [r.hostkeyalgorithms]);
  return out;
}

/** The part of ssh's output we compare: every key we resolve, and the optional ones whether present or not. */
export function comparable(values: Map<string, string[]>, ours: Map<string, string[]>): Map<string, string[]> {
  const keys = new Set<string>([...SCALARS, ...OPTIONAL, ...MULTILINE, ...ONELINE]);
  if (ours.has('hostkeyalgorithms')) keys.add('hostkeyalgorithms');
  const out = new Map<string, string[]>();
  for (const k of keys) {
    const v = values.get(k);
    if (v !== undefined) out.set(k, v);
  }
  return out;
}

/** Resolves with both and returns what to compare (or the two failures). */
export async function both(home: Home, configPath: string, name: string, extra: Partial<ResolveSshTargetOptions> = {}): Promise<
  { kind: 'both-ok'; ssh: Map<string, string[]>; ours: Map<string, string[]>; result: ResolvedSshTarget } | { kind: 'both-failed'; error: unknown; stderr: string } | { kind: 'ours-stricter'; error: Error } | { kind: 'mismatch'; detail: string }
> {
  const oracle = sshG(configPath, name, home);
  let result: ResolvedSshTarget | undefined;
  let error: unknown;
  try {
    result = await resolveSshTarget(name, { ...oracleOptions(home, configPath), ...extra });
  } catch (err) {
    error = err;
  }
  if (oracle.ok && result !== undefined) {
    const ours = asPrinted(result);
    return { kind: 'both-ok', ssh: comparable(oracle.values, ours), ours, result };
  }
  if (!oracle.ok && result === undefined) return { kind: 'both-failed', error, stderr: oracle.stderr };
  // ssh expands IdentityFile, CertificateFile and ProxyCommand only when it connects (and fails
  // then); we expand them while resolving, so a bad token there fails earlier with us.
  // A jump host whose name starts with '-' or holds shell characters: ssh -G prints it, and ssh would
  // hand it to the `ssh -W` it runs (an option, or a shell word); we refuse it while resolving.
  if (oracle.ok && error instanceof Error && /: (IdentityFile|CertificateFile|ProxyCommand): |: ProxyJump: a jump host's name must not/.test(error.message)) {
    return { kind: 'ours-stricter', error };
  }
  return {
    kind: 'mismatch',
    detail: oracle.ok ? `ssh -G succeeded, we threw ${String(error)}` : `ssh -G failed (${oracle.stderr.trim()}), we returned ${JSON.stringify(result)}`,
  };
}
