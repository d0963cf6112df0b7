/**
 * The local socket of serveDockerSocket: a fresh 0700 directory, a 0600 socket, and another local
 * user (uid 65534, through setpriv) cannot connect to it, while its owner can.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { dirname } from 'node:path';
import { Duplex } from 'node:stream';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { serveDockerSocket } from '@ssh-docker/http';

const run = promisify(execFile);

/** A connector whose streams answer any request with a ping reply, as a daemon would. */
function pingConnector(): Promise<Duplex> {
  const stream: Duplex = new Duplex({
    allowHalfOpen: true,
    read() {
      // Pushed from write().
    },
    write(_chunk, _encoding, callback) {
      callback();
      stream.push('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK');
      stream.push(null);
    },
  });
  return Promise.resolve(stream);
}

/** Connects as `uid` (or as ourselves) and sends a ping; returns the answer or the error code. */
async function tryConnect(path: string, uid?: number): Promise<string> {
  const script = `const s=require('net').connect(${JSON.stringify(path)});s.on('error',e=>{console.log(e.code);process.exit(0)});s.on('connect',()=>s.write('GET /_ping HTTP/1.1\\r\\nHost: docker\\r\\n\\r\\n'));let a='';s.on('data',d=>a+=d);s.on('end',()=>{console.log(a.split('\\r\\n')[0]);process.exit(0)})`;
  const argv = uid === undefined ? [process.execPath, '-e', script] : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--', process.execPath, '-e', script];
  const [file, ...args] = argv;
  const { stdout } = await run(file ?? 'node', args, { timeout: 10_000 });
  return stdout.trim();
}

describe('the local socket', () => {
  it('lives in a fresh 0700 directory as a 0600 socket; uid 65534 gets EACCES, its owner gets served', async () => {
    const server = await serveDockerSocket(pingConnector);
    try {
      const dirMode = statSync(dirname(server.path)).mode & 0o777;
      const socketStat = statSync(server.path);
      expect(socketStat.isSocket()).toBe(true);
      expect(dirMode.toString(8)).toBe('700');
      expect((socketStat.mode & 0o777).toString(8)).toBe('600');
      expect(socketStat.uid).toBe(process.getuid?.());
      expect(await tryConnect(server.path)).toBe('HTTP/1.1 200 OK');
      expect(await tryConnect(server.path, 65534)).toBe('EACCES');
    } finally {
      await server.close({ timeoutMs: 1000 });
    }
  });

  it('stays unreachable to another uid even when that uid could traverse the directory', async () => {
    const server = await serveDockerSocket(pingConnector);
    try {
      // Even if someone opens the directory up later, the socket's own 0600 still refuses.
      const { chmod } = await import('node:fs/promises');
      await chmod(dirname(server.path), 0o755);
      expect(await tryConnect(server.path, 65534)).toBe('EACCES');
      const direct = await new Promise<string>((resolve) => {
        const s = netConnect(server.path);
        s.on('connect', () => { s.destroy(); resolve('connected'); });
        s.on('error', (e: Error & { code?: string }) => { resolve(e.code ?? 'error'); });
      });
      expect(direct).toBe('connected');
    } finally {
      await server.close({ timeoutMs: 1000 });
    }
  });
});
