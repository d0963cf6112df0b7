import { fc, test } from '@fast-check/vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { arbitraries, expectNoSecretLeak } from '@ssh-docker/testkit';
import { VERSION } from '../src/index.js';
import { helpText } from '../src/internal/help.js';
import { run } from './helpers/run.js';

const runs = { numRuns: Number(process.env['FC_NUM_RUNS'] ?? 1000) };
/** Each run of a property below spawns the CLI (≈ 30–60 ms): a tenth of the runs, with room for a loaded machine. */
const processRuns = { numRuns: Math.max(20, Math.ceil(runs.numRuns / 10)) };
const PROCESS_PROPERTY_TIMEOUT_MS = 180_000;
/** Nothing listens on port 1 of loopback: the connection is refused at once. */
const REFUSED = 'ssh://127.0.0.1:1';

describe('help and version', () => {
  test('--help prints the overview on stdout and exits 0', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, stdout: helpText(undefined), stderr: '' });
  });

  test.each(['check', 'proxy', 'demo'] as const)('%s --help prints that command\'s help', async (command) => {
    const result = await run([command, '--help']);
    expect(result).toEqual({ code: 0, stdout: helpText(command), stderr: '' });
    expect(result.stdout).toMatch(new RegExp(`^Usage: ssh-docker ${command}`));
  });

  test('the help of check and proxy lists every -o key and the stdin options', () => {
    for (const command of ['check', 'proxy'] as const) {
      expect(helpText(command)).toContain('StrictHostKeyChecking, UserKnownHostsFile, IdentityFile, IdentityAgent, Port, User, ConnectTimeout, ServerAliveInterval, ServerAliveCountMax, ProxyJump, AddressFamily, BatchMode');
      expect(helpText(command)).toContain('--password-stdin');
      expect(helpText(command)).toContain('--passphrase-stdin');
    }
    expect(helpText('proxy')).toContain('--socket PATH');
  });

  test('--version prints the version of package.json', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(await run(['--version'])).toEqual({ code: 0, stdout: `ssh-docker ${pkg.version}\n`, stderr: '' });
  });
});

describe('mistakes exit 2 with the message and where to find help', () => {
  test('no command', async () => {
    expect(await run([])).toEqual({ code: 2, stdout: '', stderr: "ssh-docker: a command is needed: check, proxy or demo\nRun 'ssh-docker --help' for usage.\n" });
  });

  test('an unknown -o key', async () => {
    const result = await run(['check', 'host', '-o', 'PermitLocalCommand=yes']);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'ssh-docker check: -o PermitLocalCommand is not supported; the supported keys are StrictHostKeyChecking, UserKnownHostsFile, IdentityFile, IdentityAgent, Port, User, ConnectTimeout, ServerAliveInterval, ServerAliveCountMax, ProxyJump, AddressFamily, BatchMode\n' +
        "Run 'ssh-docker check --help' for usage.\n",
    );
  });

  test('a password in the URL is refused with its code and fix, and not printed', async () => {
    const result = await run(['check', 'ssh://deploy:hunter2@build-1']);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '✗ ERR_SSH_URL_PASSWORD: a password in the ssh URL is not allowed here; use an SSH key, ssh-agent, or pass the password separately\n' +
        '  fix: leave the password out of the URL and pipe it to --password-stdin, or use a key (-i) or ssh-agent\n',
    });
  });

  test('a target that looks like an option is refused by the transport', async () => {
    const result = await run(['check', '--', '-oProxyCommand=x']);
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr: "✗ ERR_INVALID_ARG: options.url must not start with '-' or contain whitespace or control characters\n  fix: see --help for the values each option takes\n",
    });
  });

  test('--password-stdin with nothing on stdin', async () => {
    expect(await run(['check', 'host', '--password-stdin'], { stdin: '' })).toEqual({
      code: 2,
      stdout: '',
      stderr: '✗ ERR_STDIN: --password-stdin read an empty secret from stdin\n  fix: pipe the secret in: ssh-docker check TARGET --password-stdin < password-file\n',
    });
  });
});

describe('check without a server', () => {
  test('a refused connection fails at the tcp step with its code and fix, exit 1', async () => {
    const result = await run(['check', REFUSED, '-F', 'none', '-o', 'IdentityAgent=none']);
    expect(result.code).toBe(1);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe(`Checking ${REFUSED}`);
    // The user is the local one (ssh's default): root in CI.
    expect(lines[1]).toMatch(/^✓ resolve +[0-9.]+ ms {2}\S+@127\.0\.0\.1:1$/);
    expect(lines[2]).toMatch(/^✗ tcp +[0-9.]+ ms {2}SSH connection to 127\.0\.0\.1:1 was refused: is sshd running and listening on port 1\?$/);
    expect(lines.slice(3)).toEqual([
      '                         code: ERR_CONNECTION_REFUSED',
      '                         fix:  start sshd on the host, or check the port (-p)',
      '- host key               skipped',
      '- auth                   skipped',
      '- docker CLI             skipped',
      '- daemon ping            skipped',
      '- API version            skipped',
      '- round trip             skipped',
      'Check failed at step "tcp" (ERR_CONNECTION_REFUSED).',
      '',
    ]);
  });

  test('an ssh_config setting that is not honoured is named once on stderr, with its file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cli-config-warning-'));
    try {
      const config = join(dir, 'config');
      writeFileSync(config, 'Host *\n  ForwardAgent yes\n  ControlMaster auto\n');
      const result = await run(['check', REFUSED, '-F', config, '-o', 'IdentityAgent=none']);
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `warning: ${config}:2: ForwardAgent is ignored: the agent is never forwarded to the remote host\n` +
          `warning: ${config}:3: ControlMaster is ignored: connections are shared inside the transport, never through a control socket\n`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test.prop(
    [arbitraries.secret().map((s) => Buffer.from(s).toString()).filter((s) => !s.endsWith('\n')), fc.constantFrom('stdin only', 'also as -l', 'also as the URL user')],
    processRuns,
  )('no password given with --password-stdin shows in any output on failure, even when also typed as the user', async (password, where) => {
    const target = where === 'also as the URL user' ? `ssh://${encodeURIComponent(password)}@127.0.0.1:1` : REFUSED;
    const user = where === 'also as -l' ? ['-l', password] : [];
    const result = await run(['check', target, '-F', 'none', '-o', 'IdentityAgent=none', '-o', 'ConnectTimeout=2', ...user, '--password-stdin'], {
      stdin: `${password}\n`,
    });
    expect(result.code).not.toBe(0);
    expectNoSecretLeak(password, [result.stdout, result.stderr]);
  }, PROCESS_PROPERTY_TIMEOUT_MS);
});

describe('the home directory, as OpenSSH takes it', () => {
  test('~ in -F (and the default ~/.ssh/config) is the password database\'s home, not $HOME', async () => {
    const passwdHome = userInfo().homedir;
    const home = mkdtempSync(join(tmpdir(), 'cli-home-'));
    try {
      const result = await run(['check', REFUSED, '-F', '~/no-such-ssh-config'], { env: { HOME: home, PATH: process.env['PATH'] } });
      expect(result.code).not.toBe(0);
      expect(`${result.stdout}${result.stderr}`).toContain(`${passwdHome}/no-such-ssh-config`);
      expect(`${result.stdout}${result.stderr}`).not.toContain(home);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
