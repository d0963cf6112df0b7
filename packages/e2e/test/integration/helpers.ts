import { createHash } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { readdirSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshTransportOptions } from '@ssh-docker/transport';

/** Transport options for the fixture's key user: no config file, no agent, the fixture's known_hosts. */
export function keyOptions(fixture: DockerSshFixture, extra: Partial<DockerSshTransportOptions> = {}): DockerSshTransportOptions {
  return { ...fixture.transportOptions(), ...extra };
}

/**
 * Samples the process's memory every 10 ms from now (after a GC when `--expose-gc` allows one):
 * `peak()` is the largest rise of the sum of `counters` seen so far; `stop()` ends the sampling.
 */
export function trackMemoryPeak(counters: readonly ('heapUsed' | 'external' | 'arrayBuffers')[]): { peak: () => number; stop: () => void } {
  global.gc?.();
  const sum = (usage: NodeJS.MemoryUsage): number => counters.reduce((total, counter) => total + usage[counter], 0);
  const before = sum(process.memoryUsage());
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, sum(process.memoryUsage()) - before);
  }, 10);
  return {
    peak: () => peak,
    stop: () => {
      clearInterval(sampler);
    },
  };
}

export async function waitFor(check: () => boolean | Promise<boolean>, ms: number, everyMs = 50): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}

/** Reads a stream to its end, hashing it; returns the byte count and the sha256. */
export async function sha256Of(stream: Readable, onBytes?: (total: number) => void): Promise<{ bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
    onBytes?.(bytes);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Every message published on our diagnostics channels while `collect` is on, for leak checks. */
export function collectDiagnostics(): { messages: unknown[]; stop: () => void } {
  const names = [
    'ssh-docker:transport:connect',
    'ssh-docker:transport:stream',
    'ssh-docker:transport:error',
    'ssh-docker:http:request',
    'ssh-docker:http:response',
    'ssh-docker:http:error',
    'ssh-docker:http:connect',
    'ssh-docker:http:proxy',
  ];
  const messages: unknown[] = [];
  const listener = (message: unknown, name: string | symbol): void => {
    messages.push({ channel: String(name), message });
  };
  for (const name of names) subscribe(name, listener);
  return {
    messages,
    stop: () => {
      for (const name of names) unsubscribe(name, listener);
    },
  };
}

/** The code a client error carries: ours directly, or the transport's code under an http error. */
export function codesOf(err: unknown): string[] {
  const out: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const { code, causeCode } = e as { code?: unknown; causeCode?: unknown };
    if (typeof code === 'string') out.push(code);
    if (typeof causeCode === 'string') out.push(causeCode);
    e = (e as { cause?: unknown }).cause;
  }
  return [...new Set(out)];
}

/** The codes of ours a client may see: the transport's, the host keys', the http package's. */
export const OUR_CODES =
  /^(ERR_SSH_CONFIG|ERR_AUTH_FAILED|ERR_CONNECT_TIMEOUT|ERR_CONNECTION_REFUSED|ERR_HOST_NOT_FOUND|ERR_HANDSHAKE_FAILED|ERR_CONNECTION_LOST|ERR_REMOTE_DOCKER_MISSING|ERR_DAEMON_UNREACHABLE|ERR_CHANNEL_REFUSED|ERR_TRANSPORT_CLOSED|ERR_HOST_KEY_[A-Z_]+|ERR_HTTP_[A-Z_]+)$/;
