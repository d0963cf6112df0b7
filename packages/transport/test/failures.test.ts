import { describe, expect, it } from 'vitest';
import { connectFailure, dialStdioFailure, safeCause, where } from '../src/internal/failures.js';
import { Secret } from '@ssh-docker/url';

const target = { host: 'docker-1.example', port: 2222, user: 'deploy' };

describe('where', () => {
  it('names a host on port 22 bare, others with the port, IPv6 in brackets', () => {
    expect(where({ host: 'h', port: 22 })).toBe('h');
    expect(where({ host: 'h', port: 2222 })).toBe('h:2222');
    expect(where({ host: '::1', port: 2222 })).toBe('[::1]:2222');
    expect(where({ host: 'h' })).toBe('h');
  });
});

describe('dialStdioFailure maps an early exit of docker system dial-stdio', () => {
  it.each([
    [127, 'bash: line 1: docker: command not found\n', 'ERR_REMOTE_DOCKER_MISSING'],
    [1, 'sh: docker: not found', 'ERR_REMOTE_DOCKER_MISSING'],
    [1, 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?', 'ERR_DAEMON_UNREACHABLE'],
    [1, 'error during connect: dial unix /var/run/docker.sock: connect: permission denied', 'ERR_DAEMON_UNREACHABLE'],
    [1, 'dial unix /run/docker.sock: connect: no such file or directory', 'ERR_DAEMON_UNREACHABLE'],
    [1, 'dial unix /run/docker.sock: connect: connection refused', 'ERR_DAEMON_UNREACHABLE'],
    [2, 'something else entirely', 'ERR_DAEMON_UNREACHABLE'],
  ])('exit %i with %j → %s', (code, stderr, expected) => {
    const err = dialStdioFailure(code, null, stderr, target);
    expect(err.code).toBe(expected);
    expect(err.host).toBe('docker-1.example');
    expect(err.port).toBe(2222);
    expect(err.message).toContain(`Remote said: ${stderr.trim()}`);
  });

  it('says what to do for a missing docker CLI', () => {
    expect(dialStdioFailure(127, null, '', target).message).toBe(
      'the docker CLI was not found on docker-1.example:2222 for user deploy: install it there (docker-ce-cli) and make sure it is on the PATH of non-interactive SSH sessions, or use socketPath with streamlocal.',
    );
  });

  it('names a signal when dial-stdio was killed', () => {
    expect(dialStdioFailure(null, 'KILL', '', target).message).toBe(
      'docker system dial-stdio on docker-1.example:2222 ended early with signal KILL: run `ssh -p 2222 deploy@docker-1.example docker system dial-stdio` to see why.',
    );
  });

  it('redacts URL passwords in the remote stderr and bounds its length', () => {
    const err = dialStdioFailure(1, null, `Cannot connect to the Docker daemon at tcp://admin:hunter2@10.0.0.1:2375 ${'x'.repeat(5000)}`, target);
    expect(err.message).not.toContain('hunter2');
    expect(err.message.length).toBeLessThan(1000);
  });
});

describe('connectFailure maps socket errors to our codes', () => {
  it.each([
    ['ECONNREFUSED', 'ERR_CONNECTION_REFUSED', 'SSH connection to docker-1.example:2222 was refused: is sshd running and listening on port 2222?'],
    ['ENOTFOUND', 'ERR_HOST_NOT_FOUND', 'SSH host docker-1.example was not found: check the name, or set HostName for it in ~/.ssh/config'],
    ['ETIMEDOUT', 'ERR_CONNECT_TIMEOUT', 'SSH connection to docker-1.example:2222 timed out: check the address, the port and any firewall on the way'],
    ['EHOSTUNREACH', 'ERR_CONNECT_TIMEOUT', 'SSH host docker-1.example:2222 is unreachable: check the address and the network route to it'],
    ['ECONNRESET', 'ERR_CONNECTION_LOST', 'SSH connection to docker-1.example:2222 failed before the handshake completed: check that port 2222 is an SSH server'],
  ])('%s → %s', (errno, code, message) => {
    const err = connectFailure(Object.assign(new Error(`connect ${errno}`), { code: errno }), target);
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
    expect((err.cause as Error & { code?: string }).code).toBe(errno);
  });
});

describe('safeCause', () => {
  it('keeps only a redacted message, the name and the code', () => {
    const original = Object.assign(new Error('auth to ssh://u:hunter2@h failed with s3cr3t-pass'), { code: 'EX', config: { password: 's3cr3t-pass' } });
    const copy = safeCause(original, [Secret.from('s3cr3t-pass')]);
    expect(copy?.message).toBe('auth to ssh://u:[redacted]@h failed with [redacted]');
    expect((copy as Error & { code?: string }).code).toBe('EX');
    expect(Object.keys(copy ?? {})).toEqual(['code']);
  });

  it('drops anything that is not an Error', () => {
    expect(safeCause('hunter2')).toBeUndefined();
  });
});
