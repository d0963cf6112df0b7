/**
 * ProxyCommand expansion against the real thing: `ssh -G` prints ProxyCommand raw (it expands it only
 * when it connects), so here OpenSSH 9.2p1 really runs it. Each command only writes its arguments to a
 * file and exits, so ssh stops at "connection closed" and sends nothing anywhere; every HostName is an
 * IP literal, so no name is looked up either. Our expansion, run the way the transport runs it
 * (`/bin/sh -c 'exec <command>'`), must write the same arguments.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { both, makeHome, SSH } from './oracle.js';
import type { Home } from './oracle.js';

interface Row {
  readonly name: string;
  /** Config lines before the ProxyCommand line (OUT is replaced by the output file). */
  readonly config: string;
  /** The ProxyCommand's arguments, each printed as `[arg]` on a line. */
  readonly args: string;
  readonly target: string;
}

const rows: Row[] = [
  { name: 'the hostname, the port and the remote user (%h %p %r)', config: 'Host box\n  HostName 127.0.0.9\n  Port 2230\n  User deploy\n', args: '%h %p %r', target: 'box' },
  { name: 'the host as given (%n) differs from the HostName', config: 'Host Box\n  HostName 127.0.0.9\n', args: '%n %h', target: 'Box' },
  { name: 'the user of a user@host target and the default port', config: '', args: '%r@%h:%p', target: 'ops@127.0.0.8' },
  { name: 'the host key alias (%k), lower-cased as ssh does', config: 'Host ka\n  HostName 127.0.0.5\n  HostKeyAlias Gate-KEY\n', args: '%k %h', target: 'ka' },
  { name: '%% is a literal percent sign, joined to other text', config: 'Host x\n  HostName 127.0.0.7\n', args: '100%% %h:%p', target: 'x' },
  { name: 'quotes in the command are the shell\'s', config: 'Host q\n  HostName 127.0.0.6\n', args: '"%h %p" \'%r\'', target: 'q' },
];

describe('the expanded ProxyCommand is what ssh runs', () => {
  let home: Home;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => {
    home.cleanup();
  });

  for (const row of rows) {
    it(row.name, async () => {
      const theirs = home.write('theirs', '');
      const ours = home.write('ours', '');
      // An inner shell writes the file and only then exits: ssh kills the command once its stdout
      // closes, and a redirection of the command's own stdout would close it before printf wrote.
      const line = (out: string): string => `ProxyCommand sh -c 'printf "[%%s]\\n" "$@" > ${out}' sh ${row.args}\n`;
      const sshConfig = home.write('ssh.config', `${row.config}${line(theirs)}`);
      // ssh runs it with $SHELL -c "exec …"; it fails after the command exits (no server), as expected.
      const ran = spawnSync(SSH, ['-F', sshConfig, '-o', 'BatchMode=yes', row.target, 'true'], { env: { ...home.env, SHELL: '/bin/sh' }, encoding: 'utf8', timeout: 10_000 });
      expect(ran.status, ran.stderr).toBe(255);

      const ourConfig = home.write('our.config', `${row.config}${line(ours)}`);
      const out = await both(home, ourConfig, row.target);
      expect(out.kind, out.kind === 'mismatch' ? out.detail : '').toBe('both-ok');
      if (out.kind !== 'both-ok') return;
      const command = out.result.expanded.proxycommand;
      expect(command).toBeDefined();
      const mine = spawnSync('/bin/sh', ['-c', `exec ${command ?? ''}`], { env: home.env, encoding: 'utf8' });
      expect(mine.status, mine.stderr).toBe(0);
      const expected = readFileSync(theirs, 'utf8');
      expect(expected).not.toBe('');
      expect(readFileSync(ours, 'utf8')).toBe(expected);
    });
  }
});
