import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '../../src/index.js';
import type { DockerSshTransportOptions } from '../../src/index.js';
import { failure, httpOver, waitFor } from './helpers.js';

// Issue 14: ProxyCommand as ssh runs it, with real commands (busybox nc, OpenSSH's ssh -W) against
// the real sshd + dockerd fixture. Every address is the fixture's own (its namespace, or loopback).

let fixture: DockerSshFixture;
let dir: string;
/** A ProxyCommand wrapper that records its arguments, then becomes `busybox nc HOST PORT`. */
let recorder: string;
let recorded: string;

/** The pids of ProxyCommand children started while `work` runs (from the transport's diagnostics). */
async function withPids<T>(work: (pids: number[]) => Promise<T>): Promise<T> {
  const pids: number[] = [];
  const onConnect = (message: unknown): void => {
    const m = message as { phase?: string; pid?: number };
    if (m.phase === 'proxy-command' && typeof m.pid === 'number') pids.push(m.pid);
  };
  subscribe('ssh-docker:transport:connect', onConnect);
  try {
    return await work(pids);
  } finally {
    unsubscribe('ssh-docker:transport:connect', onConnect);
  }
}

/** A process is gone once /proc has no entry for it (Node reaps its own children). */
function alive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  dir = await mkdtemp(join(tmpdir(), 'proxy-command-'));
  recorded = join(dir, 'args');
  recorder = join(dir, 'record-then-nc');
  await writeFile(recorder, `#!/bin/sh\nprintf '%s\\n' "$@" > '${recorded}'\nexec busybox nc "$1" "$2"\n`);
  await chmod(recorder, 0o755);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await fixture.stop();
});

/** An ssh_config file in the test's directory. */
async function config(name: string, lines: string[]): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, `${lines.join('\n')}\n`);
  return file;
}

function base(extra: Partial<DockerSshTransportOptions> & { url: string }): DockerSshTransportOptions {
  return {
    identityFiles: [fixture.identityFile],
    knownHostsFiles: [fixture.knownHostsFile],
    agent: false,
    user: fixture.user,
    ...extra,
  };
}

/** The known_hosts name of the fixture, for a HostKeyAlias. */
function knownName(): string {
  return fixture.port === 22 ? fixture.host : `[${fixture.host}]:${fixture.port}`;
}

describe('ProxyCommand with a real command against the fixture', () => {
  it('reaches the daemon through `busybox nc %h %p` from ssh_config, expands %h %p %r %n, and ends the child on close', async () => {
    const configFile = await config('nc.conf', [
      'Host through-nc',
      `  HostName ${fixture.host}`,
      `  Port ${fixture.port}`,
      `  ProxyCommand ${recorder} %h %p %r %n`,
    ]);
    await withPids(async (pids) => {
      const transport = createDockerSshTransport(base({ url: 'through-nc', configFile }));
      try {
        const res = await httpOver(await transport.openStream(), '/_ping');
        expect(res).toMatchObject({ status: 200, body: 'OK' });
        expect((await readFile(recorded, 'utf8')).split('\n')).toEqual([fixture.host, String(fixture.port), fixture.user, 'through-nc', '']);
        expect(pids).toHaveLength(1);
        expect(alive(pids[0] ?? 0)).toBe(true);
      } finally {
        await transport.close();
      }
      // close() waits for the child: it is gone (and reaped) when close resolves.
      expect(alive(pids[0] ?? 0)).toBe(false);
    });
  });

  it('reaches the daemon through `ssh -W %h:%p jump` (OpenSSH as the ProxyCommand, the fixture as its own jump host)', async () => {
    const configFile = await config('ssh-w.conf', [
      'Host behind-jump',
      `  HostName ${fixture.host}`,
      `  Port ${fixture.port}`,
      `  ProxyCommand ssh -F ${fixture.sshConfigFile} -W %h:%p ${fixture.alias}`,
    ]);
    await withPids(async (pids) => {
      const transport = createDockerSshTransport(base({ url: 'behind-jump', configFile }));
      try {
        const report = await transport.check();
        expect(report.steps.map((s) => [s.name, s.status])).toContainEqual(['tcp', 'ok']);
        expect(report.steps.find((s) => s.name === 'tcp')?.detail).toMatch(/^ProxyCommand started for /);
        expect(report.ok).toBe(true);
        const res = await httpOver(await transport.openStream(), '/_ping');
        expect(res.status).toBe(200);
        expect(pids.length).toBeGreaterThanOrEqual(1);
      } finally {
        await transport.close();
      }
      for (const pid of pids) expect(alive(pid)).toBe(false);
    });
  });

  it('takes an explicit proxyCommand option over a ProxyJump from the config (first obtained wins)', async () => {
    const configFile = await config('explicit.conf', ['Host explicit', `  HostName ${fixture.host}`, `  Port ${fixture.port}`, '  ProxyJump nobody@unused.invalid']);
    const transport = createDockerSshTransport(base({ url: 'explicit', configFile, proxyCommand: 'busybox nc %h %p' }));
    try {
      expect((await httpOver(await transport.openStream(), '/_ping')).status).toBe(200);
    } finally {
      await transport.close();
    }
  });

  it('honours `ProxyCommand none` obtained first: the connection is direct', async () => {
    const configFile = await config('none.conf', ['Host direct', `  HostName ${fixture.host}`, `  Port ${fixture.port}`, '  ProxyCommand none', 'Host *', '  ProxyCommand /bin/false']);
    await withPids(async (pids) => {
      const transport = createDockerSshTransport(base({ url: 'direct', configFile }));
      try {
        expect((await httpOver(await transport.openStream(), '/_ping')).status).toBe(200);
        expect(pids).toEqual([]);
      } finally {
        await transport.close();
      }
    });
  });

  it('fails with ERR_PROXY_COMMAND quoting the stderr (scrubbed) of a command that exits early, and the child is gone', async () => {
    const script = join(dir, 'refuses');
    await writeFile(script, `#!/bin/sh\necho "bastion: no route to $1 (tried ssh://ops:hunter2secret@$1)" >&2\nprintf 'ESC:\\033]0;title\\007\\n' >&2\nexit 3\n`);
    await chmod(script, 0o755);
    const configFile = await config('exits.conf', ['Host exits', `  HostName ${fixture.host}`, `  HostKeyAlias ${knownName()}`, `  ProxyCommand ${script} %h`]);
    await withPids(async (pids) => {
      const transport = createDockerSshTransport(base({ url: 'exits', configFile }));
      try {
        const err = await failure(transport.openStream());
        expect(err.code).toBe('ERR_PROXY_COMMAND');
        expect(err.message).toBe(
          `the ProxyCommand for ${fixture.host} exited with code 3 before the SSH handshake completed; its stderr:\n` +
            `  bastion: no route to ${fixture.host} (tried ssh://ops:[redacted]@${fixture.host})\n` +
            '  ESC:\\x1b]0;title\\x07\n' +
            'Run the command by hand (ssh -G exits shows it expanded) to see why',
        );
        for (const shown of [String(err), inspect(err, { showHidden: true, depth: null }), JSON.stringify(err)]) expect(shown).not.toContain('hunter2secret');
        expect(pids).toHaveLength(1);
        expect(alive(pids[0] ?? 0)).toBe(false);
        const report = await transport.check();
        const tcp = report.steps.find((s) => s.name === 'tcp');
        expect(tcp).toMatchObject({ status: 'failed', code: 'ERR_PROXY_COMMAND' });
        expect(tcp?.fix).toContain('`proxyCommand: false`');
      } finally {
        await transport.close();
      }
    });
  });

  it('a command that never answers ends in ERR_CONNECT_TIMEOUT and is killed and waited for', async () => {
    await withPids(async (pids) => {
      const transport = createDockerSshTransport(base({ url: fixture.url, configFile: false, proxyCommand: 'sleep 60', connectTimeoutMs: 800 }));
      try {
        const err = await failure(transport.openStream());
        expect(err.code).toBe('ERR_CONNECT_TIMEOUT');
        expect(pids).toHaveLength(1);
        expect(await waitFor(() => Promise.resolve(!alive(pids[0] ?? 0)), 5000)).toBe(true);
      } finally {
        await transport.close();
      }
    });
  });

  it('a command that is not found is ERR_PROXY_COMMAND with the shell saying so', async () => {
    const transport = createDockerSshTransport(base({ url: fixture.url, configFile: false, proxyCommand: 'no-such-proxy-command-xyz %h %p' }));
    try {
      const err = await failure(transport.openStream());
      expect(err.code).toBe('ERR_PROXY_COMMAND');
      expect(err.message).toMatch(/exited with code 127 before the SSH handshake completed; its stderr:\n {2}.*no-such-proxy-command-xyz.*not found/);
    } finally {
      await transport.close();
    }
  });
});
