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
