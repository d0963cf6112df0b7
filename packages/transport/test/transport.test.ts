import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Secret } from '@ssh-docker/url';
import { createDockerSshTransport } from '../src/index.js';
import type { DockerSshTransportOptions } from '../src/index.js';

const ok: DockerSshTransportOptions = { url: 'ssh://u@h', configFile: false, agent: false };

describe('createDockerSshTransport refuses caller mistakes before connecting', () => {
  it.each<[string, Partial<DockerSshTransportOptions>, Error]>([
    ['an empty url', { url: '' }, new TypeError('options.url must be an ssh:// URL or an ssh_config host alias')],
    ['an alias that looks like an option', { url: '-oProxyCommand=x' }, new TypeError("options.url must not start with '-' or contain whitespace or control characters")],
    ['an alias with whitespace', { url: 'a b' }, new TypeError("options.url must not start with '-' or contain whitespace or control characters")],
    ['zero channels per connection', { maxChannelsPerConnection: 0 }, new RangeError('maxChannelsPerConnection must be a positive integer')],
    ['a fractional connection count', { maxConnections: 1.5 }, new RangeError('maxConnections must be a positive integer')],
    ['a negative keepalive', { keepaliveIntervalMs: -1 }, new RangeError('keepaliveIntervalMs must be a non-negative integer')],
    ['an unknown family', { family: 5 as 4 }, new RangeError('family must be 4 or 6')],
    ['a relative socket path', { socketPath: 'docker.sock' }, new TypeError("socketPath must be an absolute path of letters, digits, '.', '_', '-' and '/', without '..'")],
    ['a socket path with a quote', { socketPath: "/run/d'.sock" }, new TypeError("socketPath must be an absolute path of letters, digits, '.', '_', '-' and '/', without '..'")],
    ['a socket path with $()', { socketPath: '/run/$(reboot)' }, new TypeError("socketPath must be an absolute path of letters, digits, '.', '_', '-' and '/', without '..'")],
    ['streamlocal without a socket path', { socketVia: 'streamlocal' }, new TypeError("socketVia 'streamlocal' needs a socketPath")],
    ['an empty proxyCommand', { proxyCommand: ' ' }, new TypeError('proxyCommand must be a non-empty command without control characters, or false')],
    ['a proxyCommand with a newline', { proxyCommand: 'nc %h %p\nUser root' }, new TypeError('proxyCommand must be a non-empty command without control characters, or false')],
    ['a proxyCommand that is not a string', { proxyCommand: true as unknown as string }, new TypeError('proxyCommand must be a non-empty command without control characters, or false')],
    ['both proxyCommand and proxyJump (ssh: Cannot specify -J with ProxyCommand)', { proxyCommand: 'nc %h %p', proxyJump: 'bastion' }, new TypeError('proxyCommand and proxyJump exclude each other (as ssh -J and ProxyCommand): give one')],
  ])('%s', (_name, extra, expected) => {
    expect(() => createDockerSshTransport({ ...ok, ...extra })).toThrow(expected);
  });

  it('refuses a bad URL with its UrlError code', () => {
    expect(() => createDockerSshTransport({ ...ok, url: 'ssh://-oProxyCommand=x' })).toThrow(expect.objectContaining({ code: 'ERR_SSH_URL_INJECTION' }));
  });

  it('connects nothing until asked', () => {
    const transport = createDockerSshTransport(ok);
    expect(transport.stats()).toMatchObject({ connections: 0, connectsStarted: 0, openStreams: 0, host: 'h', port: 22, user: 'u' });
  });

  it('reports a closed transport with ERR_TRANSPORT_CLOSED', async () => {
    const transport = createDockerSshTransport(ok);
    await transport.close();
    await expect(transport.openStream()).rejects.toMatchObject({ code: 'ERR_TRANSPORT_CLOSED', message: 'the transport to h was closed; create a new one to connect again' });
  });

  it('reports a refused TCP connection with ERR_CONNECTION_REFUSED and the port', async () => {
    const transport = createDockerSshTransport({ ...ok, url: 'ssh://u@127.0.0.1:1', knownHostsFiles: [] });
    await expect(transport.openStream()).rejects.toMatchObject({
      code: 'ERR_CONNECTION_REFUSED',
      message: 'SSH connection to 127.0.0.1:1 was refused: is sshd running and listening on port 1?',
    });
    await transport.close();
  });
});

describe('a connection reset before the handshake', () => {
  it('fails the request with ERR_CONNECTION_LOST, never an uncaught ECONNRESET, and asks no provider', async () => {
    // The window the soak found: TCP is up and sshd restarts. A provider used to be asked at this point.
    const accepted: Socket[] = [];
    const server = createServer((socket) => {
      accepted.push(socket);
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const uncaught: Error[] = [];
    let asked = 0;
    const onUncaught = (err: Error): void => {
      uncaught.push(err);
    };
    process.prependListener('uncaughtException', onUncaught);
    try {
      const transport = createDockerSshTransport({
        ...ok,
        url: `ssh://u@127.0.0.1:${String(port)}`,
        knownHostsFiles: [],
        password: async () => {
          asked += 1;
          await sleep(150);
          return Secret.from('pw');
        },
      });
      await expect(transport.openStream()).rejects.toMatchObject({
        code: 'ERR_CONNECTION_LOST',
        message: expect.stringContaining(`127.0.0.1:${String(port)}`) as string,
      });
      // The pool retries a connection lost this early (as for MaxStartups) a few times, then gives up once.
      expect(accepted.length).toBeGreaterThan(1);
      expect(asked).toBe(0);
      expect(transport.stats()).toMatchObject({ connectsStarted: 1, connectsFailed: 1, connections: 0 });
      await transport.close();
      expect(uncaught).toEqual([]);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      server.close();
    }
  });
});

describe('ProxyJump chains from ssh_config, resolved before anything connects', () => {
  function withConfig(lines: string[]): { configFile: string; done: () => void } {
    const dir = mkdtempSync(join(tmpdir(), 'sdk-jump-'));
    const configFile = join(dir, 'config');
    writeFileSync(configFile, `${lines.join('\n')}\n`);
    return { configFile, done: () => rmSync(dir, { recursive: true, force: true }) };
  }

  it('refuses a loop of jump hosts (each first hop reached through the other) with ERR_SSH_CONFIG', async () => {
    const { configFile, done } = withConfig(['Host target', '  ProxyJump a', 'Host a', '  ProxyJump b', 'Host b', '  ProxyJump a']);
    const transport = createDockerSshTransport({ url: 'target', configFile, agent: false, knownHostsFiles: [] });
    try {
      await expect(transport.openStream()).rejects.toMatchObject({
        code: 'ERR_SSH_CONFIG',
        message: expect.stringMatching(/^ProxyJump for [ab] goes through more than 8 levels of jump hosts, or loops \([ab] is reached through [ab]\): check the ProxyJump lines in ssh_config$/) as string,
      });
      expect(transport.stats().connectsStarted).toBe(0);
    } finally {
      await transport.close();
      done();
    }
  });

  it('takes ProxyCommand and ProxyJump as ssh does: the explicit option first, then the first obtained in the config; false or none turns the command off', async () => {
    const exits = '/bin/sh -c "echo proxy-ran >&2; exit 4"';
    const { configFile, done } = withConfig(['Host cmd', '  HostName 127.0.0.1', '  Port 1', `  ProxyCommand ${exits}`, 'Host jump', '  HostName 127.0.0.1', '  Port 1', '  ProxyJump plain', 'Host plain', '  HostName 127.0.0.1', '  Port 1']);
    const base = { configFile, agent: false as const, knownHostsFiles: [] };
    const cases: [DockerSshTransportOptions, string][] = [
      [{ ...base, url: 'cmd' }, 'ERR_PROXY_COMMAND'],
      // An explicit jump wins over the config's command (ssh -J): the hop is tried over TCP.
      [{ ...base, url: 'cmd', proxyJump: 'plain' }, 'ERR_CONNECTION_REFUSED'],
      [{ ...base, url: 'cmd', proxyCommand: false }, 'ERR_CONNECTION_REFUSED'],
      [{ ...base, url: 'cmd', proxyCommand: 'none' }, 'ERR_CONNECTION_REFUSED'],
      // An explicit command wins over the config's ProxyJump (ssh -o ProxyCommand=…).
      [{ ...base, url: 'jump', proxyCommand: exits }, 'ERR_PROXY_COMMAND'],
    ];
    try {
      for (const [options, code] of cases) {
        const transport = createDockerSshTransport(options);
        try {
          await expect(transport.openStream(), JSON.stringify(options)).rejects.toMatchObject({ code });
        } finally {
          await transport.close();
        }
      }
    } finally {
      done();
    }
  });

  it("runs the first jump host's ProxyCommand (as ssh does), and ignores a later hop's (ssh's -J overrides it)", async () => {
    const { configFile, done } = withConfig(['Host first', '  HostName 127.0.0.1', '  Port 1', '  ProxyCommand /bin/sh -c "echo first-hop-proxy >&2; exit 5"', 'Host later', '  ProxyCommand /bin/sh -c "echo later-hop-proxy >&2; exit 6"', 'Host plain', '  HostName 127.0.0.1', '  Port 1']);
    const refused = createDockerSshTransport({ url: 'ssh://u@target', configFile, agent: false, knownHostsFiles: [], proxyJump: 'first,later' });
    const ignored = createDockerSshTransport({ url: 'ssh://u@target', configFile, agent: false, knownHostsFiles: [], proxyJump: 'plain,later' });
    try {
      await expect(refused.openStream()).rejects.toMatchObject({
        code: 'ERR_PROXY_COMMAND',
        message: 'the ProxyCommand for 127.0.0.1:1 exited with code 5 before the SSH handshake completed; its stderr:\n  first-hop-proxy\nRun the command by hand (ssh -G first shows it expanded) to see why',
      });
      // Resolution passes; the first hop is then tried over TCP, and refused.
      await expect(ignored.openStream()).rejects.toMatchObject({ code: 'ERR_CONNECTION_REFUSED' });
    } finally {
      await refused.close();
      await ignored.close();
      done();
    }
  });
});
