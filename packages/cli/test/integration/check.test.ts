import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { expectNoSecretLeak, startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture, SecondSshd } from '@ssh-docker/testkit';
import { childEnv, startBin } from '../helpers/bin.js';
import { run } from '../helpers/run.js';

let fixture: DockerSshFixture;
let second: SecondSshd;
let scratch: string;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  second = await fixture.startSecondSshd();
  scratch = await mkdtemp(join(tmpdir(), 'sdk-cli-check-'));
});

afterAll(async () => {
  await second.stop();
  await fixture.stop();
  await rm(scratch, { recursive: true, force: true });
});

/** ssh options that use only the fixture's key and known_hosts, nothing of this machine's. */
function keyOptions(knownHosts = fixture.knownHostsFile): string[] {
  return ['-F', 'none', '-i', fixture.identityFile, '-o', 'IdentityAgent=none', '-o', `UserKnownHostsFile=${knownHosts}`];
}

const env = (): Record<string, string | undefined> => ({ HOME: scratch, PATH: process.env['PATH'] });

const INDENT = ' '.repeat(25);

/** The failed step: its name, its detail (continuation lines joined by \n), its code and its fix. */
function failedStep(stdout: string): { name: string; detail: string; code: string; fix: string } {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('✗ '));
  const first = /^✗ (.{12}) +[0-9.]+ (?:ms|s) {2}(.*)$/.exec(lines[at] ?? '');
  if (first === null) throw new Error(`no failed step in:\n${stdout}`);
  const more = [];
  for (const line of lines.slice(at + 1)) {
    if (!line.startsWith(INDENT)) break;
    more.push(line.slice(INDENT.length));
  }
  const code = more.find((l) => l.startsWith('code: '))?.slice('code: '.length) ?? '';
  const fix = more.find((l) => l.startsWith('fix:  '))?.slice('fix:  '.length) ?? '';
  const detail = [first[2] ?? '', ...more.filter((l) => !l.startsWith('code: ') && !l.startsWith('fix:  '))].join('\n');
  return { name: (first[1] ?? '').trim(), detail, code, fix };
}

function lineOf(stdout: string, name: string): string {
  return stdout.split('\n').find((l) => l.startsWith(`✓ ${name} `) || l.startsWith(`✗ ${name} `)) ?? '';
}

function marks(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => /^[✓✗-] /.test(l))
    .map((l) => `${l.slice(0, 1)} ${l.slice(2, 14).trim()}`);
}

describe('ssh-docker check against a real sshd and dockerd', () => {
  test('passes every step with the fixture key and known_hosts, and exits 0', async () => {
    const result = await run(['check', fixture.url, ...keyOptions()], { env: env() });
    expect(result.code).toBe(0);
    expect(marks(result.stdout)).toEqual(['✓ resolve', '✓ tcp', '✓ host key', '✓ auth', '✓ docker CLI', '✓ daemon ping', '✓ API version', '✓ round trip']);
    expect(lineOf(result.stdout, 'host key')).toMatch(/^✓ host key +[0-9.]+ ms {2}ssh-ed25519 SHA256:[A-Za-z0-9+/]{43} \(known\)$/);
    expect(lineOf(result.stdout, 'auth')).toMatch(new RegExp(`^✓ auth +[0-9.]+ ms {2}${fixture.user} by publickey$`));
    expect(result.stdout.split('\n').at(-2)).toBe(`All 8 steps passed: Docker clients can use ${fixture.url} over SSH.`);
    expect(result.stderr).toBe('');
  });

  test('fails at "host key" with ERR_HOST_KEY_UNKNOWN against an empty known_hosts', async () => {
    const empty = join(scratch, 'empty_known_hosts');
    await writeFile(empty, '');
    const result = await run(['check', `ssh://${fixture.user}@${second.host}:${second.port}`, ...keyOptions(empty)], { env: env() });
    expect(result.code).toBe(1);
    const { host, port } = second;
    const offered = second.hostKeys.find((k) => k.type === 'ssh-ed25519')?.fingerprint ?? '';
    expect(failedStep(result.stdout)).toEqual({
      name: 'host key',
      detail: [
        `No ssh-ed25519 host key is known for [${host}]:${port} (${host} port ${port}) and strict host key checking is on (OpenSSH StrictHostKeyChecking yes). The server offered ssh-ed25519 ${offered}.`,
        'Verify it out of band, then add it:',
        `  ssh-keyscan -p ${port} -t ed25519 ${host} | ssh-keygen -lf -    # compare with ${offered}`,
        `  ssh-keyscan -H -p ${port} -t ed25519 ${host} >> ~/.ssh/known_hosts`,
        `or connect once with: ssh -o StrictHostKeyChecking=accept-new -p ${port} ${host}`,
      ].join('\n'),
      code: 'ERR_HOST_KEY_UNKNOWN',
      fix: 'verify the fingerprint with the host owner, then add it: ssh-keyscan -H -p PORT HOST >> ~/.ssh/known_hosts, or -o StrictHostKeyChecking=accept-new once',
    });
    expect(marks(result.stdout)).toEqual(['✓ resolve', '✓ tcp', '✗ host key', '- auth', '- docker CLI', '- daemon ping', '- API version', '- round trip']);
    expect(result.stdout.split('\n').at(-2)).toBe('Check failed at step "host key" (ERR_HOST_KEY_UNKNOWN).');
  });

  test("fails at \"host key\" with ERR_HOST_KEY_CHANGED when the second sshd's name holds the first one's keys", async () => {
    const name = second.port === 22 ? second.host : `[${second.host}]:${second.port}`;
    const changed = join(scratch, 'changed_known_hosts');
    await writeFile(changed, fixture.hostKeys.map((k) => `${name} ${k.type} ${k.blob.toString('base64')}\n`).join(''));
    const result = await run(['check', `ssh://${fixture.user}@${second.host}:${second.port}`, ...keyOptions(changed)], { env: env() });
    expect(result.code).toBe(1);
    const { host, port } = second;
    const offered = second.hostKeys.find((k) => k.type === 'ssh-ed25519')?.fingerprint ?? '';
    expect(failedStep(result.stdout)).toEqual({
      name: 'host key',
      detail: [
        `WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED for [${host}]:${port} (${host} port ${port}).`,
        `The server offered ssh-ed25519 ${offered}, but known_hosts lists other keys for this name (a key of another type counts as changed, as in OpenSSH):`,
        ...fixture.hostKeys.map((k, i) => `  ${changed}:${i + 1}: ${k.type} ${k.fingerprint}`),
        "Someone may be intercepting the connection (man-in-the-middle), or the host key was replaced. Confirm the new fingerprint with the host's administrator. If it is legitimate, remove the old entries:",
        `  ssh-keygen -R '[${host}]:${port}' -f ${changed}`,
        `then add the new key (ssh-keyscan -H -p ${port} ${host} >> ~/.ssh/known_hosts). The connection is refused until then.`,
      ].join('\n'),
      code: 'ERR_HOST_KEY_CHANGED',
      fix: 'find out why the key changed; if expected, remove the old entry with ssh-keygen -R and add the new one',
    });
    expect(result.stdout.split('\n').at(-2)).toBe('Check failed at step "host key" (ERR_HOST_KEY_CHANGED).');
  });

  test('fails at "auth" with ERR_AUTH_FAILED for a user the key does not belong to', async () => {
    const result = await run(['check', fixture.url, ...keyOptions(), '-l', 'nobody'], { env: env() });
    expect(result.code).toBe(1);
    expect(failedStep(result.stdout)).toEqual({
      name: 'auth',
      detail: `SSH authentication as nobody on ${fixture.host} failed: tried key ${fixture.identityFile}. Check the user name and that the public key is in ~/.ssh/authorized_keys there`,
      code: 'ERR_AUTH_FAILED',
      fix: 'check the user (-l or user@), the key (-i) and ~/.ssh/authorized_keys on the host, or load the key into ssh-agent',
    });
    expect(marks(result.stdout)).toEqual(['✓ resolve', '✓ tcp', '✓ host key', '✗ auth', '- docker CLI', '- daemon ping', '- API version', '- round trip']);
  });

  test('fails at "daemon ping" with ERR_DAEMON_UNREACHABLE when dockerd is stopped', async () => {
    await fixture.stopDockerd();
    try {
      const result = await run(['check', fixture.url, ...keyOptions()], { env: env() });
      expect(result.code).toBe(1);
      expect(failedStep(result.stdout)).toEqual({
        name: 'daemon ping',
        detail: `docker on ${fixture.host} cannot reach its daemon: start dockerd there, or give user ${fixture.user} access to the socket (the docker group). Remote said: failed to open the raw stream connection: dial unix ${fixture.dockerSocket}: connect: no such file or directory`,
        code: 'ERR_DAEMON_UNREACHABLE',
        fix: 'start dockerd on the host (systemctl start docker) and add the user to the docker group',
      });
      expect(marks(result.stdout)).toEqual(['✓ resolve', '✓ tcp', '✓ host key', '✓ auth', '✓ docker CLI', '✗ daemon ping', '- API version', '- round trip']);
    } finally {
      await fixture.startDockerd();
    }
  });

  test('passes for a Host alias with -F and the ssh_config the fixture wrote', async () => {
    const result = await run(['check', fixture.alias, '-F', fixture.sshConfigFile, '-o', 'IdentityAgent=none'], { env: env() });
    expect(result.code).toBe(0);
    expect(lineOf(result.stdout, 'resolve')).toMatch(new RegExp(`^✓ resolve +[0-9.]+ ms {2}${fixture.user}@${fixture.host.replace(/\./g, '\\.')}`));
  });

  test('passes for the password user with the password piped to --password-stdin, and prints no password', async () => {
    const result = await run(['check', fixture.url, '-F', 'none', '-o', 'IdentityAgent=none', '-o', `UserKnownHostsFile=${fixture.knownHostsFile}`, '-l', fixture.passwordUser, '--password-stdin'], {
      env: env(),
      stdin: `${fixture.password}\n`,
    });
    expect(result.code).toBe(0);
    expect(lineOf(result.stdout, 'auth')).toMatch(new RegExp(`^✓ auth +[0-9.]+ ms {2}${fixture.passwordUser} by (password|keyboard-interactive)$`));
    expect(result.stdout + result.stderr).not.toContain(fixture.password);
  });

  test('passes for the encrypted key with the passphrase piped to --passphrase-stdin', async () => {
    const result = await run(['check', fixture.url, '-F', 'none', '-i', fixture.encryptedIdentityFile, '-o', 'IdentityAgent=none', '-o', `UserKnownHostsFile=${fixture.knownHostsFile}`, '--passphrase-stdin'], {
      env: env(),
      stdin: fixture.passphrase,
    });
    expect(result.code).toBe(0);
    expect(lineOf(result.stdout, 'auth')).toMatch(new RegExp(`^✓ auth +[0-9.]+ ms {2}${fixture.user} by publickey$`));
  });

  test('-o StrictHostKeyChecking=accept-new adds an unknown host to UserKnownHostsFile and passes', async () => {
    const file = join(scratch, 'accept_new_known_hosts');
    await writeFile(file, '');
    const target = `ssh://${fixture.user}@${second.host}:${second.port}`;
    const result = await run(['check', target, ...keyOptions(file), '-o', 'StrictHostKeyChecking=accept-new'], { env: env() });
    expect(result.code).toBe(0);
    expect(lineOf(result.stdout, 'host key')).toMatch(/^✓ host key +[0-9.]+ ms {2}ssh-ed25519 SHA256:[A-Za-z0-9+/]{43} \((added|new|accepted)[^)]*\)$/);
    expect((await readFile(file, 'utf8')).trim().split('\n')).toHaveLength(1);
    // Now known: strict passes too.
    expect((await run(['check', target, ...keyOptions(file)], { env: env() })).code).toBe(0);
  });

  test.each(['wrong-password', 'p@ss:w/rd#?% with spaces', 'пароль🔑"\\\'$(id)'])(
    'a wrong password on stdin (%#) fails at "auth" with ERR_AUTH_FAILED and is in no output',
    async (password) => {
      const result = await run(['check', fixture.url, '-F', 'none', '-o', 'IdentityAgent=none', '-o', `UserKnownHostsFile=${fixture.knownHostsFile}`, '-l', fixture.passwordUser, '--password-stdin'], {
        env: env(),
        stdin: `${password}\n`,
      });
      expect(result.code).toBe(1);
      expect(failedStep(result.stdout)).toMatchObject({ name: 'auth', code: 'ERR_AUTH_FAILED' });
      expectNoSecretLeak(password, [result.stdout, result.stderr]);
    },
  );

  // Regression: the transport unrefs its socket between channels, and Node exited in the middle of
  // the check with code 0 and only the header printed. In-process runs cannot see it.
  test('as a child process it prints the whole report before it exits, 0 on success and 1 on failure', async () => {
    const ok = startBin(['check', fixture.url, ...keyOptions()], childEnv(scratch));
    expect(await ok.exited).toEqual({ code: 0, signal: null });
    expect(marks(ok.stdout())).toEqual(['✓ resolve', '✓ tcp', '✓ host key', '✓ auth', '✓ docker CLI', '✓ daemon ping', '✓ API version', '✓ round trip']);
    expect(ok.stdout().split('\n').at(-2)).toBe(`All 8 steps passed: Docker clients can use ${fixture.url} over SSH.`);

    const failed = startBin(['check', fixture.url, ...keyOptions(), '-l', 'nobody'], childEnv(scratch));
    expect(await failed.exited).toEqual({ code: 1, signal: null });
    expect(failed.stdout().split('\n').at(-2)).toBe('Check failed at step "auth" (ERR_AUTH_FAILED).');
  });
});
