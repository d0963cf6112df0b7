import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { dockerContextHost, fromDockerEnv } from '../src/index.js';

/** The real docker CLI: contexts are created by it, so the files read are the ones it writes. */
const DOCKER = '/usr/local/bin/docker';

let home: string;
let config: string;

function docker(...args: string[]): void {
  execFileSync(DOCKER, args, { env: { PATH: process.env['PATH'], HOME: home, DOCKER_CONFIG: config }, stdio: 'pipe' });
}

function refusal(fn: () => unknown): { code: unknown; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: (err as { code?: unknown }).code, message: (err as Error).message };
  }
  throw new Error('expected a refusal');
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'sdk-docker-env-'));
  config = join(home, 'docker-config');
  docker('context', 'create', 'fx', '--docker', 'host=ssh://deploy@docker-1.test:2222');
  docker('context', 'create', 'other', '--docker', 'host=ssh://other.test');
  docker('context', 'create', 'pathy', '--docker', 'host=ssh://h.test/var/run/docker.sock');
  docker('context', 'create', 'local-tcp', '--docker', 'host=tcp://127.0.0.1:2375');
});

afterAll(() => {
  rmSync(home, { recursive: true, force: true });
});

describe('fromDockerEnv follows the docker CLI precedence', () => {
  test('DOCKER_HOST=ssh://… is the target when nothing else is chosen', () => {
    expect(fromDockerEnv({ env: { DOCKER_HOST: 'ssh://ci@build-1:2200' }, homeDir: home })).toEqual({ url: 'ssh://ci@build-1:2200', source: 'DOCKER_HOST' });
  });

  test('DOCKER_CONTEXT names a context the docker CLI created; its endpoint host is the target', () => {
    expect(fromDockerEnv({ env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'fx' }, homeDir: home })).toEqual({ url: 'ssh://deploy@docker-1.test:2222', source: 'DOCKER_CONTEXT', context: 'fx' });
  });

  test('currentContext from `docker context use` is read from DOCKER_CONFIG/config.json', () => {
    docker('context', 'use', 'other');
    try {
      expect(fromDockerEnv({ env: { DOCKER_CONFIG: config }, homeDir: home })).toEqual({ url: 'ssh://other.test', source: 'currentContext', context: 'other' });
    } finally {
      docker('context', 'use', 'default');
    }
  });

  test('~/.docker is the config directory when DOCKER_CONFIG is unset', () => {
    const otherHome = mkdtempSync(join(tmpdir(), 'sdk-docker-home-'));
    try {
      execFileSync(DOCKER, ['context', 'create', 'fx', '--docker', 'host=ssh://home.test'], { env: { PATH: process.env['PATH'], HOME: otherHome }, stdio: 'pipe' });
      execFileSync(DOCKER, ['context', 'use', 'fx'], { env: { PATH: process.env['PATH'], HOME: otherHome }, stdio: 'pipe' });
      expect(fromDockerEnv({ env: {}, homeDir: otherHome }).url).toBe('ssh://home.test');
    } finally {
      rmSync(otherHome, { recursive: true, force: true });
    }
  });

  test('the order is: context option, DOCKER_HOST, DOCKER_CONTEXT, currentContext', () => {
    docker('context', 'use', 'other');
    try {
      const env = { DOCKER_CONFIG: config, DOCKER_HOST: 'ssh://from-env', DOCKER_CONTEXT: 'fx' };
      expect(fromDockerEnv({ env, homeDir: home, context: 'pathy' }).source).toBe('context-option');
      expect(fromDockerEnv({ env, homeDir: home }).url).toBe('ssh://from-env');
      expect(fromDockerEnv({ env: { ...env, DOCKER_HOST: '' }, homeDir: home }).url).toBe('ssh://deploy@docker-1.test:2222');
      expect(fromDockerEnv({ env: { ...env, DOCKER_HOST: '', DOCKER_CONTEXT: '' }, homeDir: home }).url).toBe('ssh://other.test');
      // The same choices, as the docker CLI makes them.
      const show = (extra: Record<string, string>): string =>
        execFileSync(DOCKER, ['context', 'show'], { env: { PATH: process.env['PATH'], HOME: home, DOCKER_CONFIG: config, ...extra } }).toString().trim();
      expect(show({ DOCKER_HOST: 'ssh://from-env', DOCKER_CONTEXT: 'fx' })).toBe('default');
      expect(show({ DOCKER_CONTEXT: 'fx' })).toBe('fx');
      expect(show({})).toBe('other');
    } finally {
      docker('context', 'use', 'default');
    }
  });

  test('the path of a Docker host URL is left out of the URL and reported', () => {
    expect(fromDockerEnv({ env: { DOCKER_CONFIG: config }, homeDir: home, context: 'pathy' })).toEqual({
      url: 'ssh://h.test',
      source: 'context-option',
      context: 'pathy',
      ignoredSocketPath: '/var/run/docker.sock',
    });
  });
});

describe('fromDockerEnv refuses what is not an SSH host', () => {
  test.each([['unix:///var/run/docker.sock'], ['tcp://127.0.0.1:2375'], ['npipe:////./pipe/docker_engine'], ['https://h:2376'], ['http://h:2375']])('DOCKER_HOST=%s is refused with ERR_SSH_URL_SCHEME', (host) => {
    expect(refusal(() => fromDockerEnv({ env: { DOCKER_HOST: host }, homeDir: home }))).toEqual({
      code: 'ERR_SSH_URL_SCHEME',
      message: 'only ssh:// URLs are supported: ssh-docker speaks SSH only; a unix://, tcp://, npipe:// or http(s):// Docker host needs no SSH, so point the Docker client (or the docker CLI) at it directly',
    });
  });

  test('a context whose endpoint is tcp:// is refused with ERR_SSH_URL_SCHEME', () => {
    expect(refusal(() => fromDockerEnv({ env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'local-tcp' }, homeDir: home })).code).toBe('ERR_SSH_URL_SCHEME');
  });

  test('a password in DOCKER_HOST is refused, as the docker CLI does', () => {
    expect(refusal(() => fromDockerEnv({ env: { DOCKER_HOST: 'ssh://u:hunter2@h' }, homeDir: home }))).toEqual({
      code: 'ERR_SSH_URL_PASSWORD',
      message: 'a password in the ssh URL is not allowed here; use an SSH key, ssh-agent, or pass the password separately',
    });
  });

  test('the default context without DOCKER_HOST is the local socket: refused with ERR_DOCKER_CONTEXT and the fix', () => {
    expect(refusal(() => fromDockerEnv({ env: { DOCKER_CONFIG: config }, homeDir: home }))).toEqual({
      code: 'ERR_DOCKER_CONTEXT',
      message:
        "no SSH target: DOCKER_HOST is unset and the Docker context is 'default', the local daemon socket; give ssh://user@host (or a Host alias), set DOCKER_HOST=ssh://user@host, or choose an ssh context (docker context use NAME)",
    });
  });

  test('a context that does not exist is refused with ERR_DOCKER_CONTEXT, naming where it was looked for', () => {
    expect(refusal(() => fromDockerEnv({ env: { DOCKER_CONFIG: config, DOCKER_CONTEXT: 'nope' }, homeDir: home }))).toEqual({
      code: 'ERR_DOCKER_CONTEXT',
      message: `Docker context nope (from DOCKER_CONTEXT) does not exist under ${config}: list the contexts with docker context ls`,
    });
  });

  test('a malformed meta.json is refused with ERR_DOCKER_CONTEXT', () => {
    const dir = join(home, 'bad-config');
    const meta = join(dir, 'contexts', 'meta', createHash('sha256').update('ab').digest('hex'));
    mkdirSync(meta, { recursive: true });
    writeFileSync(join(meta, 'meta.json'), '{"Name":"ab","Endpoints":');
    expect(refusal(() => fromDockerEnv({ env: { DOCKER_CONFIG: dir }, homeDir: home, context: 'ab' }))).toEqual({
      code: 'ERR_DOCKER_CONTEXT',
      message: `the metadata of Docker context ab (${join(meta, 'meta.json')}) is not valid JSON: repair it, or recreate the context with docker context create`,
    });
  });

  test('dockerContextHost answers undefined for a name that is no context', () => {
    expect(dockerContextHost('fx', { env: { DOCKER_CONFIG: config } })).toBe('ssh://deploy@docker-1.test:2222');
    expect(dockerContextHost('nope', { env: { DOCKER_CONFIG: config } })).toBeUndefined();
    expect(dockerContextHost('../x', { env: { DOCKER_CONFIG: config } })).toBeUndefined();
  });
});
