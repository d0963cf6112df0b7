import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveTarget } from '../src/internal/connect.js';
import type { ParsedConnectArgs } from '../src/internal/args.js';
import { run } from './helpers/run.js';

const SCHEME_MESSAGE =
  'only ssh:// URLs are supported: ssh-docker speaks SSH only; a unix://, tcp://, npipe:// or http(s):// Docker host needs no SSH, so point the Docker client (or the docker CLI) at it directly';

let home: string;
let config: string;

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'sdk-cli-docker-'));
  config = join(home, 'docker-config');
  // Contexts made by the real docker CLI.
  const docker = (...args: string[]): void => {
    execFileSync('/usr/local/bin/docker', args, { env: { PATH: process.env['PATH'], HOME: home, DOCKER_CONFIG: config }, stdio: 'pipe' });
  };
  docker('context', 'create', 'fx', '--docker', 'host=ssh://deploy@docker-1.test:2222');
  docker('context', 'create', 'pathy', '--docker', 'host=ssh://h.test/var/run/docker.sock');
});

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

const base: ParsedConnectArgs = { ssh: { identityFiles: [] }, warnings: [], passwordStdin: false, passphraseStdin: false, streamlocal: false };

describe('the target of check and proxy, named as Docker names it', () => {
  test('no target: DOCKER_HOST is used, and said', () => {
    expect(resolveTarget(base, { DOCKER_HOST: 'ssh://ci@build-1' }, home)).toMatchObject({ args: { target: 'ssh://ci@build-1' }, notes: ['using DOCKER_HOST: ssh://ci@build-1'] });
  });

  test('no target: DOCKER_CONTEXT names a context of the docker CLI', () => {
    expect(resolveTarget(base, { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'fx' }, home)).toMatchObject({
      args: { target: 'ssh://deploy@docker-1.test:2222' },
      notes: ['using Docker context fx (from DOCKER_CONTEXT): ssh://deploy@docker-1.test:2222'],
    });
  });

  test('--context wins over DOCKER_HOST, as with the docker CLI', () => {
    expect(resolveTarget({ ...base, context: 'fx' }, { DOCKER_CONFIG: config, DOCKER_HOST: 'ssh://other' }, home).args.target).toBe('ssh://deploy@docker-1.test:2222');
  });

  test('a target that is a context name is that context; a name that is none stays an ssh_config alias', () => {
    expect(resolveTarget({ ...base, target: 'fx' }, { DOCKER_CONFIG: config }, home)).toMatchObject({
      args: { target: 'ssh://deploy@docker-1.test:2222' },
      notes: ['using Docker context fx: ssh://deploy@docker-1.test:2222 (write ssh://fx for the ssh_config Host of that name)'],
    });
    expect(resolveTarget({ ...base, target: 'build-1' }, { DOCKER_CONFIG: config }, home)).toMatchObject({ args: { target: 'build-1' }, notes: [] });
  });

  test('a path in the URL is dropped, with one note saying why, and the URL without it is used', () => {
    const note =
      "the path /var/run/docker.sock in the Docker host URL is ignored: docker system dial-stdio on the remote host finds the daemon's socket itself, and a path from a URL never reaches a remote shell; using ssh://h.test (for another socket give --remote-socket PATH)";
    expect(resolveTarget({ ...base, target: 'ssh://h.test/var/run/docker.sock' }, {}, home)).toMatchObject({ args: { target: 'ssh://h.test' }, notes: [note] });
    expect(resolveTarget({ ...base, context: 'pathy' }, { DOCKER_CONFIG: config }, home).notes).toEqual(['using Docker context pathy (from context-option): ssh://h.test', note]);
  });
});

describe('check refuses what it cannot reach over SSH', () => {
  test.each([['unix:///var/run/docker.sock'], ['tcp://127.0.0.1:2375'], ['npipe:////./pipe/docker_engine']])('check %s exits 2 with ERR_SSH_URL_SCHEME, never resolving it as an alias', async (target) => {
    const result = await run(['check', target]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr.split('\n')[0]).toBe(`✗ ERR_SSH_URL_SCHEME: ${SCHEME_MESSAGE}`);
  });

  test('DOCKER_HOST=unix://… with no target exits 2 with ERR_SSH_URL_SCHEME', async () => {
    const result = await run(['check'], { env: { HOME: home, DOCKER_HOST: 'unix:///var/run/docker.sock' } });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe(`✗ ERR_SSH_URL_SCHEME: ${SCHEME_MESSAGE}`);
  });

  test('no target and no Docker environment exits 2 with ERR_DOCKER_CONTEXT and the ways to name one', async () => {
    const result = await run(['check'], { env: { HOME: home, DOCKER_CONFIG: config } });
    expect(result).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "✗ ERR_DOCKER_CONTEXT: no SSH target: DOCKER_HOST is unset and the Docker context is 'default', the local daemon socket; give ssh://user@host (or a Host alias), set DOCKER_HOST=ssh://user@host, or choose an ssh context (docker context use NAME)\n" +
        '  fix: check DOCKER_HOST and DOCKER_CONTEXT, or the context named (docker context ls shows what the docker CLI sees)\n',
    });
  });
});
