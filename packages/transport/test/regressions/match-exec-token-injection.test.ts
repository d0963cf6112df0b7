/**
 * The CVE-2023-51385 class: a user or host name from outside the config (URL, alias, `-l`,
 * `-o User`, ProxyJump hops) expanded by a `%` token into a command that `/bin/sh -c` runs —
 * `Match exec` at resolution time, `ProxyCommand` at connect time. Each case ran the attacker's
 * command before (the marker file appeared); now it is refused with ERR_SSH_CONFIG, whose message
 * names the field and the rule and never the value. Every command here runs under the real /bin/sh.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDockerSshTransport } from '../../src/index.js';
import { resolveSshTarget } from '../../src/config/index.js';
import type { ResolveSshTargetOptions } from '../../src/config/index.js';

let dir: string;
let marker: string;
let base: ResolveSshTargetOptions;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'match-exec-injection-'));
  marker = join(dir, 'pwned');
  base = { homeDir: dir, localUser: 'tester', localUid: 1000, localHostname: 'box.example', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, configFile: false };
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** `$(touch${IFS}<marker>)`: no whitespace, so it passes every whitespace check. */
const dollarPayload = (): string => `$(touch\${IFS}${marker})`;
const backtickPayload = (): string => `\`touch\${IFS}${marker}\``;

/** Expects ERR_SSH_CONFIG with `message` (a RegExp or exact text), the payload nowhere in the error, and no marker. */
async function refused(promise: Promise<unknown>, message: RegExp, payload: string): Promise<void> {
  const err: unknown = await promise.then(
    () => new Error('resolved, but it should have been refused'),
    (e: unknown) => e,
  );
  expect(err).toMatchObject({ name: 'TransportError', code: 'ERR_SSH_CONFIG' });
  expect((err as Error).message).toMatch(message);
  for (const text of [String(err), inspect(err, { showHidden: true, depth: null }), JSON.stringify(err)]) {
    expect(text).not.toContain(payload);
    expect(text).not.toContain('touch');
  }
  expect(existsSync(marker)).toBe(false);
}

const RULE_USER = "must not start with '-' nor contain ' ` \" ; & < > | ( ) { } or control characters, whitespace followed by '-', nor end in '\\': ProxyCommand and Match exec pass it to a shell, and OpenSSH refuses such names too; use a user name without them";
const RULE_HOST = "must not start with '-' nor contain ' ` \" $ \\ ; & < > | ( ) { } , whitespace or control characters: ProxyCommand and Match exec pass it to a shell, and OpenSSH refuses such names too; use a host name without them";

describe('a user name from outside the config never reaches Match exec', () => {
  it('refuses shell syntax in the URL user (ssh://$(touch${IFS}/tmp/pwn)@fixture)', async () => {
    const url = `ssh://${encodeURIComponent(dollarPayload())}@fixture`;
    await refused(resolveSshTarget(url, { ...base, configText: 'Match exec "test %r = fx"\n  Port 2200\n' }), new RegExp(`^the user name in the ssh URL ${escape(RULE_USER)}$`), dollarPayload());
  });

  it('refuses it in the user option (-l / -o User)', async () => {
    await refused(
      resolveSshTarget('fixture', { ...base, configText: 'Match exec "test %r = fx"\n  Port 2200\n', overrides: { user: dollarPayload() } }),
      new RegExp(`^the user option \\(user, -l or -o User\\) ${escape(RULE_USER)}$`),
      dollarPayload(),
    );
  });

  it('refuses it in the user of an alias target (user@host)', async () => {
    await refused(resolveSshTarget(`${backtickPayload()}@fixture`, { ...base, configText: 'Match exec "true %r"\n' }), new RegExp(`^the user in the ssh target ${escape(RULE_USER)}$`), backtickPayload());
  });

  it('refuses it in the user option given to createDockerSshTransport', async () => {
    const config = join(dir, 'config');
    writeFileSync(config, 'Match exec "test %r = fx"\n  HostName 127.0.0.1\n');
    const transport = createDockerSshTransport({ url: 'ssh://fixture', user: dollarPayload(), configFile: config, homeDir: dir, localUser: 'tester', env: base.env ?? {}, agent: false });
    try {
      await refused(transport.openStream(), /^the user option \(user, -l or -o User\) /, dollarPayload());
    } finally {
      await transport.close();
    }
  });
});

describe('a host name from outside the config never reaches Match exec', () => {
  it('refuses backticks in an alias target with Match exec "true %h"', async () => {
    await refused(resolveSshTarget(backtickPayload(), { ...base, configText: 'Match exec "true %h"\n' }), new RegExp(`^the ssh target host ${escape(RULE_HOST)}$`), backtickPayload());
  });

  it('refuses $(…) in an alias target with Match exec "true %n"', async () => {
    await refused(resolveSshTarget(dollarPayload(), { ...base, configText: 'Match exec "true %n"\n' }), /^the ssh target host must not /, dollarPayload());
  });

  it('refuses it in the HostName and HostKeyAlias overrides (%h, %k)', async () => {
    await refused(resolveSshTarget('fixture', { ...base, configText: 'Match exec "true %h"\n', overrides: { hostname: dollarPayload() } }), /^the hostname option \(-o HostName\) must not /, dollarPayload());
    await refused(resolveSshTarget('fixture', { ...base, configText: 'Match exec "true %k"\n', overrides: { hostkeyalias: dollarPayload() } }), /^the host key alias option \(-o HostKeyAlias\) must not /, dollarPayload());
  });
});

describe('a ProxyJump hop feeds its own Match exec tokens, so its names follow the same rules', () => {
  it('refuses shell syntax in a hop user from the config', async () => {
    await refused(
      resolveSshTarget('target', { ...base, configText: `Host target\n  ProxyJump ${dollarPayload()}@jump\nMatch exec "true %r"\n` }),
      new RegExp(`^configText:2: ProxyJump: a jump host's user name ${escape(RULE_USER)}$`),
      dollarPayload(),
    );
  });

  it('refuses it in a hop host, and in any hop of a list, from the proxyjump override', async () => {
    // (A '/' would end the host in a ProxyJump hop, so this payload has none.)
    const hop = 'jump`id`';
    await refused(resolveSshTarget('target', { ...base, configText: 'Match exec "true %h"\n', overrides: { proxyjump: `ok@first,${hop}:22` } }), new RegExp(`^ssh config: the proxyJump option: a jump host's name ${escape(RULE_HOST)}$`), hop);
  });

  it('never runs a hop user from the config through Match exec when the transport connects', async () => {
    const closed = await closedPort();
    const config = join(dir, 'config');
    writeFileSync(config, `Host target\n  HostName 127.0.0.1\n  Port ${closed}\n  ProxyJump ${dollarPayload()}@jumphost\nHost jumphost\n  HostName 127.0.0.1\n  Port ${closed}\nMatch exec "true %r"\n`);
    const transport = createDockerSshTransport({ url: 'target', configFile: config, homeDir: dir, localUser: 'tester', env: base.env ?? {}, agent: false, connectTimeoutMs: 2000 });
    try {
      await refused(transport.openStream(), /ProxyJump: a jump host's user name must not /, dollarPayload());
    } finally {
      await transport.close();
    }
  });
});

describe('every token that reaches a shell is checked where it is expanded, whatever its source', () => {
  it("refuses shell syntax from the config's own HostName in Match exec %h (stricter than OpenSSH, which trusts the config)", async () => {
    await refused(
      resolveSshTarget('fixture', { ...base, configText: `Host fixture\n  HostName a${dollarPayload()}\nMatch exec "true %h"\n` }),
      new RegExp(`^configText:3: bad Match condition: the %h token \\(the hostname\\) ${escape(RULE_HOST)}$`),
      dollarPayload(),
    );
  });

  it('refuses it in the local hostname (%l) and the home directory (%d)', async () => {
    await refused(resolveSshTarget('fixture', { ...base, localHostname: dollarPayload(), configText: 'Match exec "true %l"\n' }), /^configText:1: bad Match condition: the %l token \(the local hostname\) must not /, dollarPayload());
    await refused(resolveSshTarget('fixture', { ...base, homeDir: `/tmp/${dollarPayload()}`, configText: 'Match exec "true %d"\n' }), /^configText:1: bad Match condition: the %d token \(the home directory\) must not /, dollarPayload());
  });

  it('never returns a ProxyCommand whose tokens hold shell syntax', async () => {
    const url = `ssh://${encodeURIComponent(backtickPayload())}@fixture`;
    await refused(resolveSshTarget(url, { ...base, configText: 'ProxyCommand nc %h %p # %r\n' }), /^the user name in the ssh URL must not /, backtickPayload());
    await refused(
      resolveSshTarget('fixture', { ...base, configText: `Host fixture\n  HostName x${backtickPayload()}\n  ProxyCommand nc %h %p\n` }),
      /^configText:3: ProxyCommand: the %h token \(the hostname\) must not /,
      backtickPayload(),
    );
  });

  it('never runs the proxyCommand option of createDockerSshTransport with a hostname holding shell syntax (the command really runs now)', async () => {
    const config = join(dir, 'config');
    writeFileSync(config, `Host fixture\n  HostName x${backtickPayload()}\n`);
    const transport = createDockerSshTransport({ url: 'fixture', proxyCommand: 'true %h', configFile: config, homeDir: dir, localUser: 'tester', env: base.env ?? {}, agent: false, knownHostsFiles: [] });
    try {
      await refused(transport.openStream(), /^overrides:0: ProxyCommand: the %h token \(the hostname\) must not /, backtickPayload());
    } finally {
      await transport.close();
    }
  });

  it('still runs Match exec and expands ProxyCommand for ordinary names, $ in a user name included (as OpenSSH)', async () => {
    const seen = join(dir, 'seen');
    const t = await resolveSshTarget('ssh://ci$bot@fixture', { ...base, configText: `Match exec "test '%r' = 'ci$bot' && touch ${seen}"\n  Port 2200\nProxyCommand nc %h %p\n` });
    expect(existsSync(seen)).toBe(true);
    expect(t).toMatchObject({ user: 'ci$bot', port: 2200, expanded: { proxycommand: 'nc fixture 2200' } });
  });
});

// For any user name built from shell syntax: either resolution refuses it, or the Match exec
// command it was expanded into ran under /bin/sh without running anything else.
const fragment = fc.constantFrom('$(', ')', '`', ';', '&', '|', '<', '>', '{', '}', "'", '"', '\\', ' ', '-', '$', '${IFS}', 'touch', 'a', '%', '\n', '#', '*');
fcTest.prop([fc.array(fragment, { minLength: 1, maxLength: 10 })], { numRuns: 200 })('no user name makes Match exec run a command of its own', async (parts) => {
  const user = parts.map((p) => (p === 'touch' ? `touch\${IFS}${marker}` : p)).join('');
  try {
    await resolveSshTarget('fixture', { ...base, configText: 'Match exec "test x%r = x"\n', overrides: { user } });
  } catch (err) {
    if (err instanceof TypeError) return; // control characters in an override are a caller mistake
    expect(err).toMatchObject({ code: 'ERR_SSH_CONFIG' });
  }
  expect(existsSync(marker)).toBe(false);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A loopback port nobody listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
