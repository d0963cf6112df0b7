import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { resolve as resolvePath } from 'node:path';
import { DockerClient, serveDockerSocket } from '@ssh-docker/http';
import type { DockerSocketServer } from '@ssh-docker/http';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { ConnectArgs } from '../args.js';
import { transportOptions } from '../connect.js';
import type { CommandContext } from '../context.js';
import { FIXES, formatMs, renderError, unwrapConnectError } from '../output.js';

/** How long open connections may finish after Ctrl-C before they are cut. */
const DRAIN_MS = 2000;

/**
 * How long the first request (connect, version negotiation, `/version`) may take at start, unless
 * `-o ConnectTimeout` says otherwise: a daemon that never answers must not leave the proxy waiting.
 */
export const START_TIMEOUT_MS = 30_000;

/** The word as a POSIX shell reads it: bare when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The line to paste into a shell to use the proxy. */
export function exportLine(dockerHost: string): string {
  return `export DOCKER_HOST=${shellQuote(dockerHost)}`;
}

/** Resolves when the signal is aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => { resolve(); }, { once: true });
  });
}

interface ProxyEvent {
  readonly event?: string;
  readonly code?: string;
  readonly causeCode?: string;
}

/**
 * `ssh-docker proxy`: connects once (so mistakes show now), serves the remote daemon on a local
 * socket until the signal, then drains, removes the socket and its directory, and returns 0.
 */
export async function proxy(args: ConnectArgs & { readonly socket?: string }, context: CommandContext): Promise<number> {
  const { out, err } = context;
  const transport = createDockerSshTransport(transportOptions(args, context.secrets, context.env, context.homeDir));
  const connect = (): ReturnType<typeof transport.openStream> => transport.openStream();
  let server: DockerSocketServer | undefined;
  // A connection that cannot reach the daemon is closed by the proxy; say why, once per code in a row.
  let lastCode: string | undefined;
  const onProxyEvent = (message: unknown): void => {
    const { event, code, causeCode } = message as ProxyEvent;
    if (event !== 'error') return;
    const shown = causeCode ?? code ?? 'ERR_UNEXPECTED';
    if (shown === lastCode) return;
    lastCode = shown;
    const fix = FIXES[shown];
    err.line(`✗ a connection could not reach the daemon: ${shown}${fix === undefined ? '' : `\n  fix: ${fix}`}`);
  };
  // What ssh would warn about (an ssh_config setting not honoured, a known_hosts that could not be written).
  const onConfigWarning = (message: unknown): void => {
    const w = message as { file: string; line: number; message: string };
    err.line(`warning: ${w.file}${w.line > 0 ? `:${String(w.line)}` : ''}: ${w.message}`);
  };
  const onWarning = (message: unknown): void => {
    err.line(`warning: ${(message as { message: string }).message}`);
  };
  subscribe('ssh-docker:transport:config', onConfigWarning);
  subscribe('ssh-docker:transport:warning', onWarning);
  try {
    const started = Date.now();
    const startMs = args.ssh.connectTimeoutMs ?? START_TIMEOUT_MS;
    const client = new DockerClient(connect, { maxSockets: 1, negotiateTimeoutMs: startMs });
    let version: { Version?: unknown; ApiVersion?: unknown; Os?: unknown; Arch?: unknown };
    try {
      version = await client.json({ path: '/version', timeoutMs: startMs });
    } catch (e) {
      err.write(renderError(unwrapConnectError(e)));
      return 1;
    } finally {
      client.close();
    }
    const { host, port, user } = transport.stats();
    server = await serveDockerSocket(connect, { path: args.socket === undefined ? undefined : resolvePath(context.cwd, args.socket) });
    subscribe('ssh-docker:http:proxy', onProxyEvent);
    out.line(exportLine(server.dockerHost));
    err.line(
      `Serving ${user}@${host}:${port} (Docker ${String(version.Version)}, API ${String(version.ApiVersion)}, ${String(version.Os)}/${String(version.Arch)}; connected in ${formatMs(Date.now() - started)}) on ${server.path}`,
    );
    err.line('Press Ctrl-C to stop.');
    await aborted(context.signal);
    err.line('Stopping: open connections get 2 s to finish…');
    return 0;
  } catch (e) {
    err.write(renderError(unwrapConnectError(e)));
    return 1;
  } finally {
    unsubscribe('ssh-docker:http:proxy', onProxyEvent);
    unsubscribe('ssh-docker:transport:config', onConfigWarning);
    unsubscribe('ssh-docker:transport:warning', onWarning);
    await server?.close({ timeoutMs: DRAIN_MS });
    await transport.close({ timeoutMs: 1000 });
    if (server !== undefined) err.line(`Stopped; removed ${server.path}.`);
  }
}
