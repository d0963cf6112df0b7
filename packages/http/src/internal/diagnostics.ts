import { channel } from 'node:diagnostics_channel';
import { debuglog } from 'node:util';

/**
 * Structured, secret-free diagnostics. Messages carry a method, a path without its query, a status,
 * a code and durations — never a header, a query string, a body or an options object.
 */
export const channels = {
  /** `{ method, path }` when a request starts. */
  request: channel('ssh-docker:http:request'),
  /** `{ method, path, statusCode, durationMs }` when response headers arrive. */
  response: channel('ssh-docker:http:response'),
  /** `{ method, path, code, statusCode? }` when a request fails. */
  error: channel('ssh-docker:http:error'),
  /** `{ durationMs }` or `{ code, causeCode? }` when the connector settles. */
  connect: channel('ssh-docker:http:connect'),
  /** `{ reason }` when the agent closes an idle kept-alive stream because its channel is needed elsewhere. */
  reclaim: channel('ssh-docker:http:reclaim'),
  /** `{ event: 'accept' | 'close' | 'error', active, code? }` for the local socket proxy. */
  proxy: channel('ssh-docker:http:proxy'),
} as const;

const log = debuglog('ssh-docker:http');

type Field = string | number | boolean | undefined;

/** One `key=value` debug line. Only callers in this package choose the fields, all of them safe. */
export function debug(event: string, fields: Readonly<Record<string, Field>> = {}): void {
  if (!log.enabled) return;
  const parts = [event];
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) parts.push(`${key}=${String(value)}`);
  log('%s', parts.join(' '));
}

/** The path without its query string: query values are not ours to print. */
export function pathOnly(path: string): string {
  const q = path.indexOf('?');
  return q === -1 ? path : path.slice(0, q);
}
