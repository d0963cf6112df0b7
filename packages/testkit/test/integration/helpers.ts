import { readFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { Client } from 'ssh2';
import type { ConnectConfig } from 'ssh2';
import type { DockerSshFixture } from '../../src/index.js';

export interface Target {
  host: string;
  port: number;
  hostKeys: { blob: Buffer }[];
}

/** An ssh2 connection that accepts only the target's own host keys. */
export function sshConnect(
  target: Target,
  auth: Partial<ConnectConfig>,
  timeoutMs = 10_000,
  setup?: (client: Client) => void,
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    setup?.(client);
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({
      host: target.host,
      port: target.port,
      readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => target.hostKeys.some((known) => known.blob.equals(key)),
      ...auth,
    });
  });
}

export function keyAuth(fixture: DockerSshFixture): Partial<ConnectConfig> {
  return { username: fixture.user, privateKey: readFileSync(fixture.identityFile) };
}

export function exec(client: Client, command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, channel) => {
      if (err) {
        reject(err);
        return;
      }
      let stdout = '';
      let stderr = '';
      let code: number | null = null;
      channel.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      channel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      channel.on('exit', (exitCode: number | null) => (code = exitCode));
      channel.on('close', () => resolve({ code, stdout, stderr }));
    });
  });
}

/** Resolves 'connected', 'refused', 'timeout' or another error code for one TCP connect. */
export function tryConnect(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(err.code === 'ECONNREFUSED' ? 'refused' : (err.code ?? 'error'));
    });
  });
}

export async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}
