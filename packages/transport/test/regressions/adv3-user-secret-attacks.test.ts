// adv3: attacks on "a user name that is the password or passphrase given is refused before any
// byte is sent, and is not repeated in any error/output".
import { createServer } from 'node:net';
import type { AddressInfo, Server, Socket } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '@ssh-docker/url';
import { createDockerSshTransport } from '../../src/index.js';

const SECRET = 'Hunter2Pass';

let listener: Server | undefined;
let count = 0;
const sockets: Socket[] = [];
async function listen(): Promise<number> {
  count = 0;
  listener = createServer((s) => {
    count += 1;
    sockets.push(s);
    s.destroy();
  });
  await new Promise<void>((r) => listener!.listen(0, '127.0.0.1', r));
  return (listener.address() as AddressInfo).port;
}
afterEach(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => (listener ? listener.close(() => r()) : r()));
  listener = undefined;
});

const channels = ['ssh-docker:config', 'ssh-docker:connect', 'ssh-docker:error', 'ssh-docker:auth', 'ssh-docker:stream'];
function captureDiagnostics(): { seen: string[]; stop(): void } {
  const seen: string[] = [];
  const fn = (m: unknown): void => {
    seen.push(inspect(m, { depth: 10 }));
  };
  for (const c of channels) subscribe(c, fn);
  return { seen, stop: () => { for (const c of channels) unsubscribe(c, fn); } };
}

function dump(err: unknown): string {
  const e = err as Error & { cause?: unknown };
  return [e?.message, inspect(e, { depth: 10 }), JSON.stringify(e), inspect(e?.cause, { depth: 10 })].join('\n');
}

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'adv3-'));
}

describe('adv3: user is the secret', () => {
  it('Match exec does not receive a config User that is the password (%r) before the refusal', async () => {
    const port = await listen();
    const d = dir();
    const out = join(d, 'exec-out');
    const cfg = join(d, 'config');
    writeFileSync(cfg, `Host target\n  HostName 127.0.0.1\n  Port ${port}\n  User ${SECRET}\nMatch exec "echo %r >> ${out}"\n  ConnectTimeout 2\n`);
    const transport = createDockerSshTransport({ url: 'target', configFile: cfg, homeDir: d, env: {}, password: Secret.from(SECRET), agent: false, knownHostsFiles: [join(d, 'kh')] });
    const err = await transport.openStream().then(() => undefined, (e: unknown) => e);
    await transport.close();
    expect((err as { code?: string }).code).toBe('ERR_SSH_CONFIG');
    expect(count).toBe(0);
    // The secret went to /bin/sh -c (visible in the process list) if the file holds it.
    const written = existsSync(out) ? readFileSync(out, 'utf8') : '';
    expect(written).not.toContain(SECRET);
  });

  it('Match exec does not receive a ProxyJump hop user that is the password (%r) before the refusal', async () => {
    const port = await listen();
    const d = dir();
    const out = join(d, 'exec-out');
    const cfg = join(d, 'config');
    writeFileSync(cfg, `Host target\n  HostName 127.0.0.1\n  Port ${port}\nMatch exec "echo %r >> ${out}"\n  ConnectTimeout 2\n`);
    const transport = createDockerSshTransport({ url: 'target', configFile: cfg, homeDir: d, env: {}, localUser: 'me', password: Secret.from(SECRET), agent: false, knownHostsFiles: [join(d, 'kh')], proxyJump: `${SECRET}@127.0.0.1:${port}` });
    const err = await transport.openStream().then(() => undefined, (e: unknown) => e);
    await transport.close();
    expect((err as { code?: string }).code).toBe('ERR_SSH_CONFIG');
    expect(count).toBe(0);
    const written = existsSync(out) ? readFileSync(out, 'utf8') : '';
    expect(written).not.toContain(SECRET);
  });

  it('a user@host alias (no scheme) whose user is the password is refused with no connection, and the secret is not in the error', async () => {
    const port = await listen();
    const d = dir();
    const diag = captureDiagnostics();
    let transport: ReturnType<typeof createDockerSshTransport> | undefined;
    let err: unknown;
    let stats = '';
    let report: unknown;
    try {
      // Refused at once (as a URL's user is), or by the first openStream: either way, nothing sent.
      transport = createDockerSshTransport({ url: `${SECRET}@127.0.0.1`, port, configFile: false, homeDir: d, env: {}, password: Secret.from(SECRET), agent: false, knownHostsFiles: [join(d, 'kh')], connectTimeoutMs: 2000 });
    } catch (e) {
      err = e;
    }
    if (transport !== undefined) {
      stats = JSON.stringify(transport.stats());
      err = await transport.openStream().then(() => undefined, (e: unknown) => e);
      report = await transport.check();
      await transport.close();
    }
    diag.stop();
    expect(count).toBe(0);
    expect(err).toBeDefined();
    expect(dump(err)).not.toContain(SECRET);
    expect(JSON.stringify(report ?? null)).not.toContain(SECRET);
    expect(stats).not.toContain(SECRET);
    expect(diag.seen.join('\n')).not.toContain(SECRET);
  });

  it('a ProxyJump hop whose user is the jump password given by jumpCredentials is refused before any byte', async () => {
    const port = await listen();
    const d = dir();
    const cfg = join(d, 'config');
    writeFileSync(cfg, `Host target\n  HostName 127.0.0.1\n  ProxyJump ${SECRET}@127.0.0.1:${port}\n`);
    const transport = createDockerSshTransport({
      url: 'target', configFile: cfg, homeDir: d, env: {}, agent: false, knownHostsFiles: [join(d, 'kh')], connectTimeoutMs: 2000,
      jumpCredentials: () => ({ password: Secret.from(SECRET) }),
    });
    const err = await transport.openStream().then(() => undefined, (e: unknown) => e);
    await transport.close();
    expect(count).toBe(0);
    expect(dump(err)).not.toContain(SECRET);
  });
});
