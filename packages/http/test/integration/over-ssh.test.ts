import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { startDockerSshFixture, type DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport, type DockerSshTransport } from '@ssh-docker/transport';
import Docker from 'dockerode';
import { Agent as UndiciAgent, fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createDockerAgent, createUndiciConnector, demux, DockerClient, serveDockerSocket, type HttpError } from '../../src/index.js';

// The whole path the library exists for: our HTTP layer over real SSH channels running
// `docker system dial-stdio` on the fixture's sshd, to its real dockerd.
let fixture: DockerSshFixture;
let transport: DockerSshTransport;

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  transport = createDockerSshTransport(fixture.transportOptions());
});

afterAll(async () => {
  await transport.close({ timeoutMs: 2_000 });
  await fixture.stop();
});

async function text(stream: Readable): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts).toString();
}

describe('over SSH dial-stdio channels from @ssh-docker/transport', () => {
  test('dockerode pings, runs a container and reads its logs through the agent', async () => {
    const agent = createDockerAgent(() => transport.openStream());
    // @types/dockerode 3.3.47 has no `agent` in DockerOptions, though docker-modem uses it.
    const docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as Docker.DockerOptions);
    try {
      expect(String(await docker.ping())).toBe('OK');
      const container = await docker.createContainer({ Image: fixture.image, Cmd: ['echo', 'over ssh'], HostConfig: { NetworkMode: 'none' } });
      await container.start();
      await container.wait();
      const logs = await container.logs({ stdout: true, follow: false });
      expect(logs.subarray(8).toString()).toBe('over ssh\n');
      await container.remove({ force: true });
    } finally {
      agent.destroy();
    }
  });

  test('undici fetch pings through the connector', async () => {
    const dispatcher = new UndiciAgent({ connect: createUndiciConnector(() => transport.openStream()) });
    try {
      const res = await fetch('http://docker/_ping', { dispatcher });
      expect(await res.text()).toBe('OK');
    } finally {
      await dispatcher.close();
    }
  });

  test('DockerClient execs with stdin over a hijacked channel, half-closed after the input', async () => {
    const client = new DockerClient(() => transport.openStream());
    try {
      const { Id } = await client.json<{ Id: string }>({
        method: 'POST',
        path: '/containers/create',
        body: { Image: fixture.image, Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } },
      });
      (await client.request({ method: 'POST', path: `/containers/${Id}/start` })).body.resume();
      const exec = await client.json<{ Id: string }>({
        method: 'POST',
        path: `/containers/${Id}/exec`,
        body: { Cmd: ['sh', '-c', 'tr a-z A-Z; echo eof-seen >&2'], AttachStdin: true, AttachStdout: true, AttachStderr: true },
      });
      const stream = await client.hijack({ path: `/exec/${exec.Id}/start`, body: { Detach: false, Tty: false } });
      const { stdout, stderr } = demux(stream);
      const output = Promise.all([text(stdout), text(stderr)]);
      stream.end('input over ssh\n');
      expect(await output).toEqual(['INPUT OVER SSH\n', 'eof-seen\n']);
      (await client.request({ method: 'DELETE', path: `/containers/${Id}`, query: { force: true } })).body.resume();
    } finally {
      client.close();
    }
  });

  test('a 256 MiB image download over SSH matches the direct socket byte for byte', async () => {
    await fixture.makeImage('http-test/ssh-big:256', { randomMiB: 256 });
    const path = '/images/http-test%2Fssh-big%3A256/get';
    const direct = new DockerClient(() => import('node:net').then((net) => net.connect(fixture.dockerSocket)));
    const overSsh = new DockerClient(() => transport.openStream());
    try {
      const digest = async (client: DockerClient): Promise<{ sha256: string; bytes: number; ms: number }> => {
        const started = Date.now();
        const res = await client.request({ path });
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const c of res.body) {
          hash.update(c as Buffer);
          bytes += (c as Buffer).length;
        }
        return { sha256: hash.digest('hex'), bytes, ms: Date.now() - started };
      };
      const a = await digest(direct);
      const b = await digest(overSsh);
      expect(b.bytes).toBe(a.bytes);
      expect(b.sha256).toBe(a.sha256);
      const mib = b.bytes / 1024 / 1024;
      process.stderr.write(`[http] over SSH: ${mib.toFixed(0)} MiB in ${b.ms} ms (${(mib / (b.ms / 1000)).toFixed(0)} MiB/s); direct socket ${a.ms} ms (${(mib / (a.ms / 1000)).toFixed(0)} MiB/s)\n`);
      (await direct.request({ method: 'DELETE', path: '/images/http-test%2Fssh-big%3A256', query: { force: true } })).body.resume();
    } finally {
      direct.close();
      overSsh.close();
    }
  });

  test('the docker CLI runs exec -i through serveDockerSocket over SSH', async () => {
    const server = await serveDockerSocket(() => transport.openStream());
    const configDir = mkdtempSync(join(tmpdir(), 'http-ssh-cli-'));
    try {
      const run = (args: string[], input?: string): Promise<{ code: number | null; out: string; err: string }> =>
        new Promise((resolve, reject) => {
          const child = spawn('docker', ['-H', server.dockerHost, ...args], { env: { PATH: process.env.PATH, HOME: configDir, DOCKER_CONFIG: configDir } });
          let out = '';
          let err = '';
          child.stdout.on('data', (c: Buffer) => (out += c.toString()));
          child.stderr.on('data', (c: Buffer) => (err += c.toString()));
          child.once('error', reject);
          child.once('close', (code) => resolve({ code, out, err }));
          child.stdin.end(input);
        });
      const started = await run(['run', '-d', '--network', 'none', fixture.image, 'sleep', '60']);
      expect(started.err).toBe('');
      const id = started.out.trim();
      const exec = await run(['exec', '-i', id, 'sh', '-c', 'tr a-z A-Z; echo after-eof'], 'through the proxy over ssh\n');
      expect(exec).toEqual({ code: 0, out: 'THROUGH THE PROXY OVER SSH\nafter-eof\n', err: '' });
      await run(['rm', '-f', id]);
    } finally {
      await server.close({ timeoutMs: 2_000 });
      rmSync(configDir, { recursive: true, force: true });
    }
  });

  test('while dockerd is down requests fail with our codes, and after it restarts the same client works again', async () => {
    const client = new DockerClient(() => transport.openStream(), { apiVersion: '1.41' });
    try {
      expect((await client.request({ path: '/_ping' })).statusCode).toBe(200);
      await fixture.stopDockerd();
      try {
        const err = (await client.request({ path: '/_ping', timeoutMs: 20_000 }).catch((e: unknown) => e)) as HttpError;
        process.stderr.write(`[http] dockerd down: ${err.code} (cause ${String(err.causeCode)}): ${err.message}\n`);
        expect(['ERR_HTTP_CONNECT', 'ERR_HTTP_CLOSED']).toContain(err.code);
      } finally {
        await fixture.startDockerd();
      }
      const res = await client.request({ path: '/_ping' });
      expect(res.statusCode).toBe(200);
      expect(await text(res.body)).toBe('OK');
    } finally {
      client.close();
    }
  });
});
