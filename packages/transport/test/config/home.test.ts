/**
 * `~`, `%d` and `~/.ssh/config` come from the password database, as in ssh.c (getpwuid), not from
 * `$HOME` — checked against the real `ssh -G` run with HOME pointing elsewhere.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSshTarget } from '../../src/config/index.js';
import { localAccount } from '../../src/config/local.js';
import { asPrinted, comparable, makeHome, SSH } from './oracle.js';
import type { Home } from './oracle.js';

const pw = userInfo();
let fakeHome: Home;
let savedHome: string | undefined;
beforeEach(() => {
  fakeHome = makeHome();
  // HOME elsewhere, in this process too (os.homedir() reads it), as under `sudo -E` or a CI job.
  savedHome = process.env.HOME;
  process.env.HOME = fakeHome.dir;
  // Anything read from here would show: $HOME's ssh config sets a user and a port.
  fakeHome.write('.ssh/config', 'User from-home\nPort 2999\n');
});
afterEach(() => {
  if (savedHome === undefined) delete process.env.HOME;
  else process.env.HOME = savedHome;
  fakeHome.cleanup();
});

/** `ssh -G` with HOME pointing at the fake home; returns keyword → printed lines. */
function sshG(args: string[]): Map<string, string[]> {
  const res = spawnSync(SSH, ['-G', ...args], { env: fakeHome.env, encoding: 'utf8', timeout: 10_000 });
  expect(res.status, res.stderr).toBe(0);
  const values = new Map<string, string[]>();
  for (const line of res.stdout.split('\n')) {
    if (line === '') continue;
    const sp = line.indexOf(' ');
    const key = sp === -1 ? line : line.slice(0, sp);
    values.set(key, [...(values.get(key) ?? []), sp === -1 ? '' : line.slice(sp + 1)]);
  }
  return values;
}

describe('the home directory is the password database’s, as ssh takes it', () => {
  it('reads the passwd home’s ~/.ssh/config, never $HOME’s, and expands ~ there (ssh -G without -F, HOME elsewhere)', async () => {
    const result = await resolveSshTarget('plain.example', { env: fakeHome.env, systemConfigFile: '/etc/ssh/ssh_config' });
    const ours = asPrinted(result);
    expect(ours).toEqual(comparable(sshG(['plain.example']), ours));
    expect(result.user).not.toBe('from-home');
    expect(result.userknownhostsfile[0]).toBe(join(pw.homedir, '.ssh/known_hosts'));
  });

  it('expands ~ and %d with the passwd home in a config given with -F, but an Include’s ~ with $HOME, as glob(3) does', async () => {
    // Includes that exist only under the fake HOME. readconf.c globs them with GLOB_TILDE, and
    // glibc's glob() takes `~` from $HOME: ssh reads them (a relative one is `~/.ssh/<name>`).
    const name = `.ssh-docker-home-test-${randomBytes(6).toString('hex')}.conf`;
    fakeHome.write(name, 'Port 2444\n');
    fakeHome.write(`.ssh/${name}`, 'User included\n');
    const config = fakeHome.write('cfg', `Include ~/${name}\nInclude ${name}\nUserKnownHostsFile ~/kh/%h %d/kh2\nIdentityAgent ~/agent.sock\n`);
    const result = await resolveSshTarget('plain.example', { env: fakeHome.env, configFile: config });
    const ours = asPrinted(result);
    expect(ours).toEqual(comparable(sshG(['-F', config, 'plain.example']), ours));
    expect(result).toMatchObject({ port: 2444, user: 'included', userknownhostsfile: [join(pw.homedir, 'kh/plain.example'), `${pw.homedir}/kh2`], identityagent: join(pw.homedir, 'agent.sock') });
  });

  it('still takes an explicit homeDir as given', async () => {
    const result = await resolveSshTarget('plain.example', { env: fakeHome.env, homeDir: fakeHome.dir });
    expect(result).toMatchObject({ user: 'from-home', port: 2999, userknownhostsfile: [join(fakeHome.dir, '.ssh/known_hosts'), join(fakeHome.dir, '.ssh/known_hosts2')] });
  });

  it('localAccount() is the passwd entry of this process', () => {
    expect(localAccount()).toEqual({ username: pw.username, uid: pw.uid, homeDir: pw.homedir, fromPasswd: true });
  });
});
