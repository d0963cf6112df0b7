/**
 * Settings that resolve but that the transport does not honour are reported, once each, with
 * where they were set — never ignored silently.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDockerSshTransport } from '../../src/index.js';
import { resolveSshTarget } from '../../src/config/index.js';
import type { ResolveSshTargetOptions } from '../../src/config/index.js';
import { makeHome } from './oracle.js';
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

describe('warnings', () => {
  it('names each ignored keyword once, with its file and line, in the order read', async () => {
    const config = [
      'Host x',
      '  CertificateFile ~/.ssh/missing-cert.pub',
      '  ForwardAgent yes',
      '  ControlMaster auto',
      '  ControlPath ~/.ssh/cm-%C',
      '  ControlPersist 10m',
      '  LocalForward 8080 localhost:80',
      '  RemoteForward 9000 localhost:90',
      '  DynamicForward 1080',
      '  PermitLocalCommand yes',
      '  LocalCommand echo hi',
      '  ForwardX11 yes',
      '  RemoteCommand uptime',
      '  RequestTTY force',
      '  SendEnv LANG',
      '  SetEnv FOO=bar',
      '  StrictHostKeyChecking ask',
      '  ForwardAgent no',
      '  CertificateFile ~/.ssh/other-cert.pub',
      '',
    ].join('\n');
    const t = await resolveSshTarget('x', { ...base, configText: config });
    expect(t.warnings.map((w) => [w.keyword, w.file, w.line])).toEqual([
      ['ForwardAgent', 'configText', 3],
      ['ControlMaster', 'configText', 4],
      ['ControlPath', 'configText', 5],
      ['ControlPersist', 'configText', 6],
      ['PermitLocalCommand', 'configText', 10],
      ['LocalCommand', 'configText', 11],
      ['ForwardX11', 'configText', 12],
      ['RemoteCommand', 'configText', 13],
      ['RequestTTY', 'configText', 14],
      ['SetEnv', 'configText', 16],
      ['StrictHostKeyChecking', 'configText', 17],
      ['CertificateFile', 'configText', 2],
      ['SendEnv', 'configText', 15],
      ['LocalForward', 'configText', 7],
      ['RemoteForward', 'configText', 8],
      ['DynamicForward', 'configText', 9],
    ]);
    expect(t.warnings[0]?.message).toBe('ForwardAgent is ignored: the agent is never forwarded to the remote host');
    // Messages name keywords, never a value from the config.
    for (const w of t.warnings) expect(w.message).not.toMatch(/missing-cert|cm-%C|uptime|echo hi|FOO=bar|LANG/);
  });

  it('gives none for defaults, for values we honour and for settings that do nothing', async () => {
    const config = 'ForwardAgent no\nControlMaster no\nControlPath none\nRequestTTY auto\nStrictHostKeyChecking yes\nLocalForward 8080 localhost:80\nClearAllForwardings yes\nSendEnv LANG\nSendEnv -LANG\nCompression no\n';
    await expect(resolveSshTarget('x', { ...base, configText: config })).resolves.toMatchObject({ warnings: [] });
    await expect(resolveSshTarget('x', base)).resolves.toMatchObject({ warnings: [] });
  });

  it('reports an inactive block not at all, and an override as overrides:0', async () => {
    const t = await resolveSshTarget('x', { ...base, configText: 'Host other\n  ForwardAgent yes\n', overrides: { forwardagent: true } });
    expect(t.warnings).toEqual([{ keyword: 'ForwardAgent', file: 'overrides', line: 0, message: 'ForwardAgent is ignored: the agent is never forwarded to the remote host' }]);
    const u = await resolveSshTarget('x', { ...base, configText: 'Host other\n  ForwardAgent yes\n' });
    expect(u.warnings).toEqual([]);
  });
});

describe('the transport', () => {
  it('publishes each warning once on ssh-docker:transport:config, however often it connects', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    const config = home.write('.ssh/cfg', `Host x\n  HostName 127.0.0.1\n  Port ${port}\n  ForwardAgent yes\n`);
    const seen: unknown[] = [];
    const listener = (message: unknown): void => {
      seen.push(message);
    };
    subscribe('ssh-docker:transport:config', listener);
    const transport = createDockerSshTransport({ url: 'x', configFile: config, homeDir: home.dir, env: home.env, localUser: 'tester', agent: false, connectTimeoutMs: 2000 });
    try {
      for (let i = 0; i < 2; i++) await expect(transport.openStream()).rejects.toMatchObject({ code: 'ERR_CONNECTION_REFUSED' });
    } finally {
      unsubscribe('ssh-docker:transport:config', listener);
      await transport.close();
    }
    expect(seen).toEqual([{ host: 'x', keyword: 'ForwardAgent', file: config, line: 4, message: 'ForwardAgent is ignored: the agent is never forwarded to the remote host' }]);
  });
});
