import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { assertBuilt, BIN } from '../helpers/bin.js';

// Issue 14: `check -i enc_key` on a terminal failed with "no passphrase given"; ssh asks. The CLI
// now asks on /dev/tty, echo off, naming the key, when stdin is a terminal. A real pty: tmux, with
// keys typed into it as a person would, and the screen read back.

let fixture: DockerSshFixture;
let scratch: string;
const SERVER = `sdk-tty-${process.pid}`;

beforeAll(async () => {
  assertBuilt();
  fixture = await startDockerSshFixture();
  scratch = await mkdtemp(join(tmpdir(), 'sdk-cli-tty-'));
});

afterAll(async () => {
  await fixture.stop();
  await rm(scratch, { recursive: true, force: true });
});

afterEach(() => {
  try {
    tmux('kill-server');
  } catch {
    // No server left: nothing to end.
  }
});

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SERVER, '-f', '/dev/null', ...args], { encoding: 'utf8' });
}

const quote = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/** Starts the CLI in a fresh tmux pane (a real terminal on stdin, stdout and stderr); the pane stays after it exits. */
function startOnTerminal(args: readonly string[]): void {
  const line = [process.execPath, BIN, ...args].map(quote).join(' ');
  const env = `env -i PATH=${quote(process.env['PATH'] ?? '')} HOME=${quote(scratch)} LANG=C.UTF-8 TERM=xterm`;
  tmux('new-session', '-d', '-s', 't', '-x', '220', '-y', '60', `${env} ${line}; echo "EXIT=$?"; sleep 600`);
}

function screen(): string {
  return tmux('capture-pane', '-p', '-J', '-S', '-200', '-t', 't');
}

async function waitFor(re: RegExp, timeoutMs = 60_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen();
    if (re.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(re)}; the screen:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const checkArgs = (): string[] => [
  'check',
  fixture.url,
  '-F',
  'none',
  '-i',
  fixture.encryptedIdentityFile,
  '-o',
  'IdentityAgent=none',
  '-o',
  `UserKnownHostsFile=${fixture.knownHostsFile}`,
];

describe('the passphrase of an encrypted key, asked on the terminal', () => {
  test('asks once, naming the key, shows nothing typed, and the check passes', async () => {
    startOnTerminal(checkArgs());
    const prompt = await waitFor(/Enter passphrase for key '[^']+': *$/m);
    expect(prompt).toContain(`Enter passphrase for key '${fixture.encryptedIdentityFile}': `);
    tmux('send-keys', '-t', 't', '-l', fixture.passphrase);
    tmux('send-keys', '-t', 't', 'Enter');
    const done = await waitFor(/^EXIT=\d+$/m);
    expect(done).toMatch(/^EXIT=0$/m);
    expect(done).toContain(`All 8 steps passed: Docker clients can use ${fixture.url} over SSH.`);
    expect(done.match(/Enter passphrase/g)).toHaveLength(1);
    // Echo was off: no part of what was typed is on the screen.
    expect(done).not.toContain(fixture.passphrase);
    expect(done).not.toContain(fixture.passphrase.slice(0, 8));
  });

  test('a wrong passphrase fails at auth with a code and a fix, and is not shown', async () => {
    startOnTerminal(checkArgs());
    await waitFor(/Enter passphrase for key/);
    tmux('send-keys', '-t', 't', '-l', 'not-the-passphrase-7');
    tmux('send-keys', '-t', 't', 'Enter');
    const done = await waitFor(/^EXIT=\d+$/m);
    expect(done).toMatch(/^EXIT=1$/m);
    expect(done).toMatch(/✗ auth .*\n(?:.*\n)*? +code: ERR_(AUTH_FAILED|KEY_PASSPHRASE)/);
    expect(done).not.toContain('not-the-passphrase-7');
  });

  test('Ctrl-C at the prompt abandons it with a clear message, and the terminal echoes again', async () => {
    startOnTerminal(checkArgs());
    await waitFor(/Enter passphrase for key/);
    tmux('send-keys', '-t', 't', '-l', 'abc');
    tmux('send-keys', '-t', 't', 'C-c');
    const done = await waitFor(/^EXIT=\d+$/m);
    expect(done).not.toMatch(/^EXIT=0$/m);
    expect(done).toContain('the passphrase prompt was abandoned');
    expect(done).not.toContain('abc');
    // The shell after it has echo back: what is typed now shows.
    tmux('send-keys', '-t', 't', '-l', 'echo-is-back');
    await waitFor(/echo-is-back/, 10_000);
  });

  test('with --passphrase-stdin nothing is asked on the terminal', async () => {
    const line = `printf %s ${quote(fixture.passphrase)} | ${[process.execPath, BIN, ...checkArgs(), '--passphrase-stdin'].map(quote).join(' ')}`;
    tmux('new-session', '-d', '-s', 't', '-x', '220', '-y', '60', `env -i PATH=${quote(process.env['PATH'] ?? '')} HOME=${quote(scratch)} LANG=C.UTF-8 sh -c ${quote(line)}; echo "EXIT=$?"; sleep 600`);
    const done = await waitFor(/^EXIT=\d+$/m);
    expect(done).toMatch(/^EXIT=0$/m);
    expect(done).not.toContain('Enter passphrase');
  });
});
