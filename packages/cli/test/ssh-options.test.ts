import { describe, expect, test } from 'vitest';
import { SshOptionCollector } from '../src/internal/ssh-options.js';
import type { SshCliOptions } from '../src/internal/ssh-options.js';

function collect(pairs: [string, string][], env: Record<string, string | undefined> = {}): { options: SshCliOptions; warnings: string[] } {
  const collector = new SshOptionCollector({ homeDir: '/home/me', cwd: '/work', env, command: 'check' });
  for (const [letter, value] of pairs) collector.add(letter, value);
  return { options: collector.options, warnings: collector.warnings };
}

function refusal(pairs: [string, string][]): { code: string; message: string } {
  try {
    collect(pairs);
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message };
  }
  throw new Error('expected a UsageError');
}

describe('ssh flags', () => {
  test('-i adds up, with ~ and relative paths resolved as ssh does', () => {
    expect(collect([['i', '~/.ssh/a'], ['i', 'keys/b'], ['i', '/abs/c']]).options.identityFiles).toEqual(['/home/me/.ssh/a', '/work/keys/b', '/abs/c']);
  });

  test('-F none means no ssh_config file and -F FILE is resolved', () => {
    expect(collect([['F', 'none']]).options.configFile).toBe(false);
    expect(collect([['F', 'cfg']]).options.configFile).toBe('/work/cfg');
  });

  test('-p, -l, -J, -4 and -6 map to port, user, proxyJump and family', () => {
    expect(collect([['p', '2222'], ['l', 'deploy'], ['J', 'jump@bastion:22'], ['6', '']]).options).toEqual({
      identityFiles: [],
      port: 2222,
      user: 'deploy',
      proxyJump: 'jump@bastion:22',
      family: 6,
    });
    expect(collect([['J', 'none']]).options.proxyJump).toBe(false);
  });

  test('the first value of a setting wins, across flags and -o, as in ssh', () => {
    expect(collect([['p', '2222'], ['o', 'Port=22']]).options.port).toBe(2222);
    expect(collect([['o', 'User=a'], ['l', 'b']]).options.user).toBe('a');
  });

  test('a port outside 1-65535 is refused with the rule, not the value', () => {
    expect(refusal([['p', '70000']])).toEqual({ code: 'ERR_USAGE', message: '-p must be a port number from 1 to 65535' });
    expect(refusal([['o', 'Port=0']])).toEqual({ code: 'ERR_USAGE', message: '-o Port must be a port number from 1 to 65535' });
  });

  test('a user that looks like an option is refused', () => {
    expect(refusal([['l', '-oProxyCommand=x']])).toEqual({ code: 'ERR_USAGE', message: "-l must be a user name that does not start with '-' and has no spaces" });
  });

  test('a jump hop that looks like an option is refused', () => {
    expect(refusal([['J', 'ok,-oProxyCommand=x']])).toEqual({ code: 'ERR_USAGE', message: "-J hops must be [user@]host[:port] without spaces, none starting with '-'" });
  });
});

describe('-o KEY=VALUE', () => {
  test('StrictHostKeyChecking maps yes and ask to strict, accept-new to accept-new', () => {
    expect(collect([['o', 'StrictHostKeyChecking=yes']]).options.hostKeyPolicy).toBe('strict');
    expect(collect([['o', 'stricthostkeychecking ask']]).options.hostKeyPolicy).toBe('strict');
    expect(collect([['o', 'StrictHostKeyChecking=accept-new']]).options.hostKeyPolicy).toBe('accept-new');
  });

  test('StrictHostKeyChecking=no is taken as accept-new, with a note saying so', () => {
    expect(collect([['o', 'StrictHostKeyChecking=no']])).toEqual({
      options: { identityFiles: [], hostKeyPolicy: 'accept-new' },
      warnings: ['StrictHostKeyChecking=no is taken as accept-new: unknown hosts are added, a changed key still refuses'],
    });
  });

  test('UserKnownHostsFile takes several files, a quoted one kept whole, or none', () => {
    expect(collect([['o', 'UserKnownHostsFile=~/.ssh/kh1 "kh2"']]).options.knownHostsFiles).toEqual(['/home/me/.ssh/kh1', '/work/kh2']);
    expect(collect([['o', 'UserKnownHostsFile="/a b"']]).options.knownHostsFiles).toEqual(['/a b']);
    expect(collect([['o', 'UserKnownHostsFile=none']]).options.knownHostsFiles).toEqual([]);
  });

  test('IdentityFile adds to -i, in order', () => {
    expect(collect([['i', '/a'], ['o', 'IdentityFile=/b']]).options.identityFiles).toEqual(['/a', '/b']);
  });

  test('timeouts are seconds on the command line and milliseconds for the transport', () => {
    expect(collect([['o', 'ConnectTimeout=5'], ['o', 'ServerAliveInterval=0'], ['o', 'ServerAliveCountMax=2']]).options).toEqual({
      identityFiles: [],
      connectTimeoutMs: 5000,
      keepaliveIntervalMs: 0,
      keepaliveCountMax: 2,
    });
  });

  test('IdentityAgent none turns the agent off and SSH_AUTH_SOCK reads the environment', () => {
    expect(collect([['o', 'IdentityAgent=none']]).options.agent).toBe(false);
    expect(collect([['o', 'IdentityAgent=SSH_AUTH_SOCK']], { SSH_AUTH_SOCK: '/run/agent.sock' }).options.agent).toBe('/run/agent.sock');
  });

  test('AddressFamily, ProxyJump, User and BatchMode are understood', () => {
    expect(collect([['o', 'AddressFamily=inet'], ['o', 'ProxyJump=b'], ['o', 'User=u'], ['o', 'BatchMode=yes']]).options).toEqual({
      identityFiles: [],
      family: 4,
      proxyJump: 'b',
      user: 'u',
    });
  });

  test('an unknown key is refused with the list of supported keys', () => {
    expect(refusal([['o', 'ProxyCommand=nc %h %p']])).toEqual({
      code: 'ERR_USAGE',
      message:
        '-o ProxyCommand is not supported; the supported keys are StrictHostKeyChecking, UserKnownHostsFile, IdentityFile, IdentityAgent, Port, User, ConnectTimeout, ServerAliveInterval, ServerAliveCountMax, ProxyJump, AddressFamily, BatchMode',
    });
  });

  test('a malformed -o is refused without repeating it', () => {
    expect(refusal([['o', '=hunter2']])).toEqual({ code: 'ERR_USAGE', message: '-o takes Key=Value, such as -o StrictHostKeyChecking=accept-new' });
    expect(refusal([['o', 'hunter2']])).toEqual({ code: 'ERR_USAGE', message: '-o takes Key=Value, such as -o StrictHostKeyChecking=accept-new' });
    expect(refusal([['o', 'port']])).toEqual({ code: 'ERR_USAGE', message: '-o Port needs a value: -o Port=VALUE' });
  });

  test('bad values name the rule', () => {
    expect(refusal([['o', 'StrictHostKeyChecking=maybe']]).message).toBe('-o StrictHostKeyChecking must be yes, accept-new, no or ask');
    expect(refusal([['o', 'ConnectTimeout=0']]).message).toBe('-o ConnectTimeout must be a whole number of seconds, at least 1');
    expect(refusal([['o', 'ServerAliveInterval=-1']]).message).toBe('-o ServerAliveInterval must be a whole number of seconds (0 turns keepalives off)');
    expect(refusal([['o', 'AddressFamily=ipx']]).message).toBe('-o AddressFamily must be any, inet or inet6');
  });
});
