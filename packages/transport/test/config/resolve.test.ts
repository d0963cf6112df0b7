/**
 * resolveSshTarget(): the API around the resolution — targets, URL parts, overrides, files,
 * Match exec, expansions and errors — beyond what ssh -G can be asked.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resolveSshTarget } from '../../src/config/index.js';
import type { ResolveSshTargetOptions } from '../../src/config/index.js';
import { AGENT_SOCK, both, makeHome } from './oracle.js';
import type { Home } from './oracle.js';

let home: Home;
let base: ResolveSshTargetOptions;
beforeEach(() => {
  home = makeHome();
  base = { homeDir: home.dir, localUser: 'tester', localUid: 1000, localHostname: 'box.example', env: home.env, configFile: false };
});
afterEach(() => {
  home.cleanup();
});

const configError = (message: string) => ({ name: 'TransportError', code: 'ERR_SSH_CONFIG', message });

describe('targets', () => {
  it('accepts a bare host and user@host', async () => {
    await expect(resolveSshTarget('box', base)).resolves.toMatchObject({ host: 'box', hostname: 'box', user: 'tester', port: 22 });
    await expect(resolveSshTarget('deploy@box', base)).resolves.toMatchObject({ host: 'box', user: 'deploy' });
  });

  it('splits user@host at the last @, as ssh does', async () => {
    await expect(resolveSshTarget('a@b@box', base)).resolves.toMatchObject({ host: 'box', user: 'a@b' });
  });

  it.each([
    ['-oProxyCommand=touch /tmp/pwned', 'ssh target must be a non-empty [user@]host without whitespace or control characters'],
    ['-oProxyCommand=x', 'ssh target must not start with "-" (it would be read as an ssh option)'],
    ['-u@box', 'ssh target must not start with "-" (it would be read as an ssh option)'],
    ['user@-box', 'ssh target must not start with "-" (it would be read as an ssh option)'],
    ['box\n', 'ssh target must be a non-empty [user@]host without whitespace or control characters'],
    ['', 'ssh target must be a non-empty [user@]host without whitespace or control characters'],
    ['user@', 'ssh target has an empty user or host'],
    ['@box', 'ssh target has an empty user or host'],
  ])('refuses the target %j', async (target, message) => {
    await expect(resolveSshTarget(target, base)).rejects.toMatchObject(configError(message));
  });

  it('takes host, user and port from an ssh:// URL, an IPv6 host without brackets', async () => {
    await expect(resolveSshTarget('ssh://ops@[2001:db8::1]:2200', base)).resolves.toMatchObject({ host: '2001:db8::1', hostname: '2001:db8::1', user: 'ops', port: 2200 });
  });

  it('never uses the socket path of a legacy URL', async () => {
    const r = await resolveSshTarget('ssh://box///var/run/docker.sock', base);
    expect(r).toMatchObject({ host: 'box', hostname: 'box' });
    expect(JSON.stringify(r)).not.toContain('docker.sock');
  });

  it('passes a bad URL on as the URL package reports it', async () => {
    await expect(resolveSshTarget('ssh://box:0', base)).rejects.toMatchObject({ code: expect.stringMatching(/^ERR_SSH_URL_/) });
  });

  it('keeps no trace of a URL password in the result', async () => {
    const r = await resolveSshTarget('ssh://ops:hunter2-secret@box', base);
    expect(JSON.stringify(r)).not.toContain('hunter2');
    expect(inspect(r, { showHidden: true, depth: null })).not.toContain('hunter2');
  });

  it('lets the URL user and port win over the config', async () => {
    const r = await resolveSshTarget('ssh://url@box:2201', { ...base, configText: 'User config\nPort 2202\n' });
    expect(r).toMatchObject({ user: 'url', port: 2201 });
  });
});

describe('overrides', () => {
  it('win over the URL, which wins over the config', async () => {
    const r = await resolveSshTarget('ssh://url@box:2201', { ...base, configText: 'User config\nPort 2202\nHostName from-config\n', overrides: { user: 'explicit', port: 2203 } });
    expect(r).toMatchObject({ user: 'explicit', port: 2203, hostname: 'from-config' });
  });

  it('set HostName before Match host is evaluated', async () => {
    const r = await resolveSshTarget('box', { ...base, configText: 'Match host real.example\n  Port 2204\n', overrides: { hostname: 'real.example' } });
    expect(r).toMatchObject({ hostname: 'real.example', port: 2204 });
  });

  it('put identity files first and accept every typed setting', async () => {
    const r = await resolveSshTarget('box', {
      ...base,
      configText: 'IdentityFile ~/.ssh/config-key\nProxyJump cfg-jump\n',
      overrides: {
        identityfile: ['~/keys/with "quote" and space'],
        certificatefile: ['~/c.pub'],
        userknownhostsfile: ['~/kh one', '~/kh2'],
        globalknownhostsfile: ['/g'],
        stricthostkeychecking: 'accept-new',
        hostkeyalias: 'Alias',
        proxycommand: 'nc %h %p',
        identityagent: '~/agent',
        identitiesonly: true,
        forwardagent: false,
        batchmode: true,
        compression: false,
        addressfamily: 'inet',
        serveraliveinterval: 15,
        serveralivecountmax: 2,
        connecttimeout: 7,
        preferredauthentications: 'publickey',
        hostkeyalgorithms: 'ssh-ed25519',
      },
    });
    expect(r).toMatchObject({
      identityfile: ['~/keys/with "quote" and space', '~/.ssh/config-key'],
      certificatefile: ['~/c.pub'],
      userknownhostsfile: [`${home.dir}/kh one`, `${home.dir}/kh2`],
      globalknownhostsfile: ['/g'],
      stricthostkeychecking: 'accept-new',
      hostkeyalias: 'alias',
      proxycommand: 'nc %h %p',
      identityagent: `${home.dir}/agent`,
      identitiesonly: 'yes',
      forwardagent: 'no',
      batchmode: 'yes',
      compression: 'no',
      addressfamily: 'inet',
      serveraliveinterval: 15,
      serveralivecountmax: 2,
      connecttimeout: 7,
      preferredauthentications: 'publickey',
      hostkeyalgorithms: 'ssh-ed25519',
    });
    expect(r.proxyjump).toBeUndefined();
  });

  it.each([
    [{ port: '22' }, 'overrides.port must be a non-negative integer'],
    [{ identityfile: '~/.ssh/key' }, 'overrides.identityfile must be an array of strings'],
    [{ user: 'a\nProxyCommand evil' }, 'overrides.user must not contain control characters'],
    [{ batchmode: 'yes' }, 'overrides.batchmode must be a boolean'],
    [{ localcommand: 'x' }, 'overrides.localcommand is not a supported setting'],
  ])('refuse a wrong override %j with a TypeError', async (overrides, message) => {
    await expect(resolveSshTarget('box', { ...base, overrides: overrides as never })).rejects.toThrow(new TypeError(message));
  });

  it('are checked like config lines', async () => {
    await expect(resolveSshTarget('box', { ...base, overrides: { port: 0 } })).rejects.toMatchObject(configError('overrides:0: Port: bad port (1-65535)'));
  });
});

describe('options', () => {
  it.each([
    [{ configFile: 5 }, 'configFile must be a path or false'],
    [{ homeDir: 'relative' }, 'homeDir must be an absolute path'],
    [{ configText: Buffer.from('x') }, 'configText must be a string'],
    [{ matchExecTimeoutMs: 0 }, 'matchExecTimeoutMs must be a positive integer'],
  ])('refuses %j with a TypeError', async (options, message) => {
    await expect(resolveSshTarget('box', { ...base, ...(options as object) })).rejects.toThrow(new TypeError(message));
  });

  it('refuses a target that is not a string with a TypeError', async () => {
    await expect(resolveSshTarget(42 as never, base)).rejects.toThrow(TypeError);
  });

  it('reads <homeDir>/.ssh/config by default', async () => {
    home.write('.ssh/config', 'Host box\n  Port 2210\n');
    const { configFile: _, ...noFile } = base;
    await expect(resolveSshTarget('box', noFile)).resolves.toMatchObject({ port: 2210 });
  });

  it('treats a missing default config as empty', async () => {
    const { configFile: _, ...noFile } = base;
    await expect(resolveSshTarget('box', noFile)).resolves.toMatchObject({ port: 22 });
  });

  it('refuses a default config that others can write, as ssh does', async () => {
    const path = home.write('.ssh/config', 'Port 2211\n');
    chmodSync(path, 0o666);
    const { configFile: _, ...noFile } = base;
    await expect(resolveSshTarget('box', noFile)).rejects.toMatchObject(
      configError(`ssh config: config file ${path} bad owner or permissions (it must not be writable by group or others, nor owned by another user)`),
    );
  });

  it('reads an explicit config file whatever its permissions, as ssh -F does', async () => {
    const path = home.write('explicit.config', 'Port 2216\n');
    chmodSync(path, 0o666);
    await expect(resolveSshTarget('box', { ...base, configFile: path })).resolves.toMatchObject({ port: 2216 });
  });

  it('refuses an included file that others can write', async () => {
    const inc = home.write('.ssh/inc.conf', 'Port 2212\n');
    chmodSync(inc, 0o620);
    await expect(resolveSshTarget('box', { ...base, configText: 'Include inc.conf\n' })).rejects.toMatchObject(
      configError(`configText:1: config file ${inc} bad owner or permissions (it must not be writable by group or others, nor owned by another user)`),
    );
  });

  it('refuses an explicit config file that does not exist, as ssh -F does', async () => {
    const path = `${home.dir}/nope.config`;
    await expect(resolveSshTarget('box', { ...base, configFile: path })).rejects.toMatchObject(configError(`ssh config: config file ${path} does not exist`));
  });

  it('ignores ~/.ssh/config with configFile: false', async () => {
    home.write('.ssh/config', 'Port 2213\n');
    await expect(resolveSshTarget('box', base)).resolves.toMatchObject({ port: 22 });
  });

  it('resolves relative Includes of configText under <homeDir>/.ssh', async () => {
    home.write('.ssh/conf.d/a.conf', 'Port 2214\n');
    await expect(resolveSshTarget('box', { ...base, configText: 'Include conf.d/*.conf\n' })).resolves.toMatchObject({ port: 2214 });
  });

  it('reads a system config after the user config, with Includes under /etc/ssh', async () => {
    const sys = home.write('system.config', 'Port 2215\nUser system\nInclude ssh-docker-test-does-not-exist.conf\n');
    await expect(resolveSshTarget('box', { ...base, configText: 'User user\n', systemConfigFile: sys })).resolves.toMatchObject({ port: 2215, user: 'user' });
  });

  it('refuses ~ in an Include of the system config', async () => {
    const sys = home.write('system.config', 'Include ~/x.conf\n');
    await expect(resolveSshTarget('box', { ...base, systemConfigFile: sys })).rejects.toMatchObject(configError(`${sys}:1: Include: bad include path (~ is only allowed in user configs)`));
  });

  it('reads a directory given as the config as an empty file', async () => {
    mkdirSync(`${home.dir}/dir.config`);
    await expect(resolveSshTarget('box', { ...base, configFile: `${home.dir}/dir.config` })).resolves.toMatchObject({ port: 22 });
  });
});

describe('limits', () => {
  it('refuses to read a FIFO as a config file (ssh would block on it)', async () => {
    const fifo = `${home.dir}/.ssh/fifo.conf`;
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    await expect(resolveSshTarget('box', { ...base, configText: 'Include fifo.conf\n' })).rejects.toMatchObject(configError(`configText:1: config file ${fifo} is not a regular file`));
  });

  it('refuses a config file larger than 1 MiB', async () => {
    const big = home.write('.ssh/big.conf', `#${'x'.repeat(1024 * 1024)}\n`);
    await expect(resolveSshTarget('box', { ...base, configText: 'Include big.conf\n' })).rejects.toMatchObject(configError(`configText:1: config file ${big} is larger than 1048576 bytes`));
  });

  it('refuses configText larger than 1 MiB', async () => {
    await expect(resolveSshTarget('box', { ...base, configText: `#${'x'.repeat(1024 * 1024)}\n` })).rejects.toMatchObject(configError('ssh config: configText is larger than 1048576 bytes'));
  });

  it('stops an Include fan-out after 1000 files', async () => {
    // 40 files that each include the same 40 other files: 1640 reads, only two levels deep.
    for (let i = 10; i < 50; i++) {
      home.write(`.ssh/w/${i}.conf`, 'Include v/*.conf\n');
      home.write(`.ssh/v/${i}.conf`, '# empty\n');
    }
    await expect(resolveSshTarget('box', { ...base, configText: 'Include w/*.conf\n' })).rejects.toMatchObject({ code: 'ERR_SSH_CONFIG', message: expect.stringMatching(/\/\.ssh\/w\/\d\d\.conf:1: more than 1000 config files read \(Include fan-out\)$/) });
  });
});

describe('Match exec', () => {
  it('runs with the given environment', async () => {
    const r = await resolveSshTarget('box', { ...base, configText: 'Match exec "test $TESTVAR = tv"\n  Port 2220\n' });
    expect(r.port).toBe(2220);
  });

  it('is refused when matchExec is false', async () => {
    await expect(resolveSshTarget('box', { ...base, matchExec: false, configText: 'Match exec true\n  Port 2221\n' })).rejects.toMatchObject(configError('configText:1: Match exec is disabled (matchExec: false)'));
  });

  it('is not run, even when disabled, once an earlier criterion failed', async () => {
    await expect(resolveSshTarget('box', { ...base, matchExec: false, configText: 'Match host other exec true\n  Port 2222\n' })).resolves.toMatchObject({ port: 22 });
  });

  it('fails on its time limit', async () => {
    await expect(resolveSshTarget('box', { ...base, matchExecTimeoutMs: 200, configText: 'Match exec "sleep 5"\n  Port 2223\n' })).rejects.toMatchObject(
      configError('configText:1: bad Match condition: Match exec command timed out after 200 ms'),
    );
  });

  it('refuses Match localnetwork, which needs interface addresses', async () => {
    await expect(resolveSshTarget('box', { ...base, configText: 'Match localnetwork 10.0.0.0/8\n' })).rejects.toMatchObject(
      configError('configText:1: bad Match condition: Match localnetwork is not supported (interface addresses are not read)'),
    );
  });
});

describe('expanded values', () => {
  it('expands identity and certificate files with ~, tokens and ${ENV}', async () => {
    const r = await resolveSshTarget('u@Box', { ...base, configText: 'IdentityFile ~/.ssh/%h_%r_%u_${TESTVAR}\nCertificateFile %d/%n.pub\nHostName box.example\n' });
    expect(r.identityfile).toEqual(['~/.ssh/%h_%r_%u_${TESTVAR}']);
    expect(r.expanded.identityfile).toEqual([`${home.dir}/.ssh/box.example_u_tester_tv`]);
    expect(r.expanded.certificatefile).toEqual([`${home.dir}/Box.pub`]);
  });

  it('expands the default identity files', async () => {
    const r = await resolveSshTarget('box', base);
    expect(r.expanded.identityfile[0]).toBe(`${home.dir}/.ssh/id_rsa`);
    expect(r.expanded.identityfile).toHaveLength(7);
  });

  it('expands ProxyCommand tokens %h %k %n %p %r', async () => {
    const r = await resolveSshTarget('Box', { ...base, configText: 'HostName real.example\nPort 2230\nUser u\nHostKeyAlias KA\nProxyCommand connect %h:%p %r %n %k %%\n' });
    expect(r.proxycommand).toBe('connect %h:%p %r %n %k %%');
    expect(r.expanded.proxycommand).toBe('connect real.example:2230 u Box ka %');
  });

  it('uses SSH_AUTH_SOCK as the agent when IdentityAgent is unset', async () => {
    const r = await resolveSshTarget('box', base);
    expect(r.identityagent).toBeUndefined();
    expect(r.expanded.agentsocket).toBe(AGENT_SOCK);
  });

  it.each([
    ['IdentityAgent none', undefined],
    ['IdentityAgent SSH_AUTH_SOCK', AGENT_SOCK],
    ['IdentityAgent $TESTVAR', 'tv'],
    ['IdentityAgent ~/a.sock', 'HOME/a.sock'],
  ])('resolves the agent socket for %j', async (line, socket) => {
    const r = await resolveSshTarget('box', { ...base, configText: `${line}\n` });
    expect(r.expanded.agentsocket).toBe(socket?.replace('HOME', home.dir));
  });

  it('refuses a bad token in IdentityFile when resolving (ssh would fail when connecting)', async () => {
    await expect(resolveSshTarget('box', { ...base, configText: '\nIdentityFile ~/%q\n' })).rejects.toMatchObject(configError('configText:2: IdentityFile: unknown token %q'));
  });

  it('only understands ~user for the local user', async () => {
    await expect(resolveSshTarget('box', { ...base, configText: 'UserKnownHostsFile ~tester/kh\n' })).resolves.toMatchObject({ userknownhostsfile: [`${home.dir}/kh`] });
    await expect(resolveSshTarget('box', { ...base, configText: 'UserKnownHostsFile ~other/kh\n' })).rejects.toMatchObject(
      configError('configText:1: UserKnownHostsFile: "~user" is only supported for the local user'),
    );
  });
});

describe('messages', () => {
  it('never contain the value of a bad line', async () => {
    for (const text of ['StrictHostKeyChecking hunter2-secret\n', 'hunter2-secret\n', 'hunter2-secret yes\n', 'Port hunter2-secret\n', 'Match hunter2-secret x\n', 'Match hunter2-secret\n', 'User "hunter2-secret\n']) {
      const err: unknown = await resolveSshTarget('box', { ...base, configText: text }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'ERR_SSH_CONFIG' });
      expect(String(err)).not.toContain('hunter2');
      expect(inspect(err, { showHidden: true, depth: null })).not.toContain('hunter2');
    }
  });
});

describe('Include depth', () => {
  it.each([
    [16, 'both-ok'],
    [17, 'both-failed'],
  ])('a chain of %i nested Includes gives %s, as with ssh -G', async (depth, kind) => {
    for (let i = 0; i < depth; i++) home.write(`chain/c${i}`, `Include ${home.dir}/chain/c${i + 1}\n`);
    home.write(`chain/c${depth}`, 'Port 2240\n');
    const out = await both(home, `${home.dir}/chain/c0`, 'box');
    expect(out.kind).toBe(kind);
  });
});

describe('a parsed target', () => {
  it('resolves as the URL it came from, and follows the same name rules', async () => {
    const fromUrl = await resolveSshTarget('ssh://deploy@box:2200', base);
    await expect(resolveSshTarget({ host: 'box', user: 'deploy', port: 2200 }, base)).resolves.toEqual(fromUrl);
    await expect(resolveSshTarget({ host: 'box;id' }, base)).rejects.toMatchObject({ code: 'ERR_SSH_CONFIG', message: expect.stringMatching(/^the ssh target host must not /) });
    await expect(resolveSshTarget({ host: 'box', user: '$(id)' }, base)).rejects.toMatchObject({ code: 'ERR_SSH_CONFIG', message: expect.stringMatching(/^the user in the ssh target must not /) });
    await expect(resolveSshTarget({ host: 'box', port: 0 }, base)).rejects.toThrow(TypeError);
  });
});
