import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { connect as netConnect, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';

/** An in-process server on a unix socket, reached through a connector like the transport's. */
export interface LocalServer<S> {
  readonly server: S;
  readonly path: string;
  /** How many streams the connector opened. */
  readonly opened: () => number;
  readonly connect: () => Promise<Duplex>;
  close(): Promise<void>;
}

function socketPath(): { dir: string; path: string } {
  const dir = mkdtempSync(join(tmpdir(), 'http-unit-'));
  return { dir, path: join(dir, 's.sock') };
}

function wrap<S extends Server | HttpServer>(server: S, dir: string, path: string): Promise<LocalServer<S>> {
  let opened = 0;
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(path, () => {
      resolve({
        server,
        path,
        opened: () => opened,
        connect: () => {
          opened += 1;
          return Promise.resolve(netConnect({ path, allowHalfOpen: true }));
        },
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => {
              rmSync(dir, { recursive: true, force: true });
              done();
            });
          }),
      });
    });
  });
}

/** A Node http server standing in for dockerd (status codes, framing, versions). */
export function startHttpServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LocalServer<HttpServer>> {
  const { dir, path } = socketPath();
  return wrap(createHttpServer(handler), dir, path);
}

/** A raw byte server, for responses no HTTP library would send (bad chunks, huge headers, 101). */
export function startRawServer(onConnection: (socket: Socket) => void): Promise<LocalServer<Server>> {
  const { dir, path } = socketPath();
  return wrap(createNetServer({ allowHalfOpen: true }, onConnection), dir, path);
}
