import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { ok, startHostileDocker } from './adv/hostile-docker.js';
import type { HostileDocker, Scenario } from './adv/hostile-docker.js';

// Attacks (issues 11.4, 11.6, 11.10) with the built CLI against a hostile in-process SSH server on
// loopback: terminal escapes in every remote text the CLI prints, answers that never come, and
// raw Node codes. Build first (`pnpm run build`): the CLI is run as users run it.
const BIN = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url));
const hosts: HostileDocker[] = [];
afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.server.close()));
});

async function cli(scenario: Scenario, command: 'check' | 'proxy' = 'check', extra: string[] = []): Promise<{ out: string; ms: number; code: number | null }> {
  const host = await startHostileDocker(scenario);
  hosts.push(host);
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [BIN, command, host.url, '-F', 'none', '-i', host.identityFile, '-o', `UserKnownHostsFile=${host.knownHostsFile}`, '-o', 'ConnectTimeout=2', ...extra],
      { env: { PATH: process.env['PATH'] ?? '', HOME: host.home }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      // proxy: once it serves, stop it as a user would (Ctrl-C).
      if (out.includes('Press Ctrl-C')) child.kill('SIGINT');
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ out, ms: Date.now() - started, code });
    });
  });
}

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
const RAW_NODE_CODE = /\b(ECONNRESET|EPIPE|EINVAL|ENOENT|ENOTDIR|EACCES|HPE_[A-Z_]+|ERR_UNEXPECTED|ERR_STREAM_[A-Z_]+|ERR_HTTP_INVALID[A-Z_]*|socket hang up)\b/;

const ESC = '\x1b]0;PWNED\x07\x1b[2J\x1b[31m\u009b1m\u202e';

test.each<[string, Scenario]>([
  ['docker --version', { version: { stdout: `Docker version 27.0.0${ESC}, build x\n`, code: 0 } }],
  // eslint-disable-next-line no-control-regex
  ['the /_ping body and Api-Version header', { answer: (p) => (p === '/_ping' ? ok(`OK${ESC}`, { 'Api-Version': `1.45${ESC.replace(/[\u0000-\u001f]/g, '')}` }) : ok('{"Version":"27"}')) }],
  ['the /version JSON', { answer: (p) => (p.endsWith('/version') ? ok(JSON.stringify({ Version: `27${ESC}`, Os: `linux${ESC}`, Arch: `x${ESC}` })) : ok('OK')) }],
  ['dial-stdio stderr', { dialExit: { stderr: `error during connect ${ESC}\n`, code: 1 } }],
  ['a non-200 /_ping body', { answer: () => `HTTP/1.1 500 Oops\r\nContent-Length: 20\r\n\r\nbad${ESC}`.padEnd(60, ' ') }],
])('check prints no raw control character from %s', async (_name, scenario) => {
  const { out } = await cli(scenario);
  expect(out).toContain('Checking');
  expect(out).not.toMatch(RAW_CONTROL);
});

test.each<[string, Scenario]>([
  ['docker --version never exits', { version: 'hang' }],
  ['/_ping is never answered', { answer: () => 'silent' }],
  ['headers stop half-way', { answer: () => 'HTTP/1.1 200 OK\r\nContent-Ty' }],
  ['/_ping is answered with 101', { answer: () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n' }],
  ['/version is never answered', { answer: (p) => (p.endsWith('/version') ? 'silent' : ok('OK')) }],
  ['the body stops half-way', { answer: () => 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nOK' }],
])('check ends with a named error within its deadline when %s', async (_name, scenario) => {
  const { out, ms, code } = await cli(scenario);
  expect(code).toBe(1);
  expect(out).toMatch(/code: ERR_[A-Z_]+/);
  expect(out).not.toMatch(RAW_NODE_CODE);
  // ConnectTimeout=2: each step 2 s; a few steps plus process start.
  expect(ms).toBeLessThan(15_000);
});

test.each<[string, Scenario]>([
  ['bytes that are not HTTP', { answer: () => 'This account is currently not available.\n' }],
  ['a bad Content-Length', { answer: () => 'HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n' }],
  ['a bad chunk size mid-body', { answer: () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\nzz\r\n' }],
  ['a reset mid-body', { answer: () => 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nOK' }],
  ['NUL in a header', { answer: () => 'HTTP/1.1 200 OK\r\nX-A: a\u0000b\r\nContent-Length: 2\r\n\r\nOK' }],
])('check names no raw Node code for %s', async (_name, scenario) => {
  const { out } = await cli(scenario);
  expect(out).toMatch(/code: ERR_[A-Z_]+/);
  expect(out).not.toMatch(RAW_NODE_CODE);
});

test.each<[string, Scenario, string[]]>([
  ['/version is never answered at start', { answer: (p) => (p.endsWith('/version') ? 'silent' : ok('OK')) }, []],
  ['/_ping is answered with 101 at start', { answer: () => 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n' }, []],
  ['escapes in the /version JSON', { answer: (p) => (p.endsWith('/version') ? ok(JSON.stringify({ Version: `27${ESC}`, ApiVersion: `1.45${ESC}`, Os: `linux${ESC}`, Arch: `x${ESC}` })) : ok('OK')) }, []],
  ['--socket under a missing directory', {}, ['--socket', '/nonexistent-adv-dir/a/docker.sock']],
  ['--socket under a file', {}, ['--socket', '/etc/passwd/sub/docker.sock']],
])('proxy: %s ends (or serves) with no raw code, no raw control, within its deadline', async (_name, scenario, extra) => {
  const { out, ms } = await cli(scenario, 'proxy', extra);
  expect(out).not.toMatch(RAW_CONTROL);
  expect(out).not.toMatch(RAW_NODE_CODE);
  expect(out).toMatch(/ERR_[A-Z_]+|Serving/);
  expect(ms).toBeLessThan(20_000);
});
