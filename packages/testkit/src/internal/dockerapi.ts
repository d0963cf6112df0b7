import { request } from 'node:http';
import { Readable } from 'node:stream';
import { FixtureError } from '../errors.js';
import { tarStream } from './tar.js';
import type { TarEntry } from './tar.js';

interface Reply {
  status: number;
  body: string;
}

function call(socketPath: string, method: string, path: string, body?: Iterable<Buffer>, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: body ? { 'content-type': 'application/x-tar', 'transfer-encoding': 'chunked' } : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`docker API ${method} ${path} timed out`)));
    req.on('error', reject);
    if (body) Readable.from(body).pipe(req);
    else req.end();
  });
}

/** True when the daemon answers `GET /_ping` with OK. */
export async function ping(socketPath: string): Promise<boolean> {
  try {
    const reply = await call(socketPath, 'GET', '/_ping', undefined, 1000);
    return reply.status === 200 && reply.body === 'OK';
  } catch {
    return false;
  }
}

/** `docker import` over the API: POST /images/create?fromSrc=- with a tar body streamed from the entries. */
export async function importImage(socketPath: string, name: string, entries: Iterable<TarEntry>): Promise<void> {
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  const repo = colon > slash ? name.slice(0, colon) : name;
  const tag = colon > slash ? name.slice(colon + 1) : 'latest';
  const query = new URLSearchParams({ fromSrc: '-', repo, tag });
  const reply = await call(socketPath, 'POST', `/images/create?${query.toString()}`, tarStream(entries), 600_000);
  if (reply.status !== 200 || reply.body.includes('"errorDetail"')) {
    throw new FixtureError('ERR_FIXTURE_START', `dockerd refused to import ${name}: HTTP ${reply.status} ${reply.body.slice(0, 500)}`);
  }
}

/**
 * SIGKILLs every running container. dockerd's own shutdown waits for each container's stop timeout
 * (10 s for a `sleep` as PID 1, which ignores SIGTERM); a throwaway fixture need not.
 */
export async function killAllContainers(socketPath: string): Promise<void> {
  try {
    const list = await call(socketPath, 'GET', '/containers/json', undefined, 3000);
    if (list.status !== 200) return;
    const ids = (JSON.parse(list.body) as { Id: string }[]).map((c) => c.Id).filter((id) => /^[0-9a-f]{64}$/.test(id));
    await Promise.all(ids.map((id) => call(socketPath, 'POST', `/containers/${id}/kill`, undefined, 3000).catch(() => undefined)));
  } catch {
    // the daemon is gone or not answering: the caller stops it anyway
  }
}
