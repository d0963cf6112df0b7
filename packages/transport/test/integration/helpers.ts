import { request } from 'node:http';
import type { IncomingHttpHeaders } from 'node:http';
import type { Duplex } from 'node:stream';

/** One HTTP request over a stream the transport opened, with Node's own http client. */
export function httpOver(
  stream: Duplex,
  path: string,
  options: { method?: string; body?: string; keepAlive?: boolean } = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        method: options.method ?? 'GET',
        path,
        host: 'docker',
        createConnection: () => stream,
        headers: { Host: 'docker', ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }), Connection: options.keepAlive === true ? 'keep-alive' : 'close' },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function failure(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a failure');
}

/** Polls `check` every 50 ms until it holds or `ms` passed; the last answer is returned. */
export async function waitFor(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}
