// @ts-check
// The "practical limit" row: a bare ssh2 connection, `docker system dial-stdio` channels and
// hand-written HTTP/1.1 (Content-Length and chunked bodies, one request at a time per channel).
// No host-key check, no config, no pool logic beyond a fixed set of channels: the least work the
// path can do. Only this row writes HTTP by hand.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';

const { Client } = ssh2;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

/**
 * Connects a bare ssh2 client; resolves when it is ready. Two things any careful client does are
 * done here too, so the row stays the limit of the path: TCP_NODELAY (ssh2 leaves Nagle on, which
 * costs a delayed ACK, ~40 ms, during authentication) and a signed publickey attempt straight
 * away (ssh2's default tries `none` first).
 */
export function bareConnect({ host, port, username, identityFile }) {
  const key = readFileSync(identityFile);
  return new Promise((resolve, reject) => {
    const client = new Client();
    client.once('ready', () => resolve(client));
    client.once('error', reject);
    client.connect({ host, port, username, authHandler: [{ type: 'publickey', username, key }], readyTimeout: 60_000, keepaliveInterval: 0 });
    client.setNoDelay(true);
  });
}

/** Opens one dial-stdio channel on `client` and wraps it in a {@link BareHttp}. */
export function bareChannel(client) {
  return new Promise((resolve, reject) => {
    client.exec('docker system dial-stdio', (err, channel) => {
      if (err) {
        reject(err);
        return;
      }
      resolve(new BareHttp(channel));
    });
  });
}

/**
 * HTTP/1.1 over one channel, one request in flight. The parser is incremental: bytes go through a
 * small state machine, body bytes are handed to `onBody` as they arrive (never buffered whole).
 */
export class BareHttp {
  #channel;
  #current; // { resolve, reject, onBody, status, headers }
  #state = 'idle';
  #head = [];
  #remaining = 0; // body bytes left (length) or chunk bytes left (chunked)
  #line = ''; // partial chunk-size or trailer line
  closed = false;

  constructor(channel) {
    this.#channel = channel;
    channel.on('data', (data) => {
      try {
        this.#feed(data);
      } catch (err) {
        this.#fail(err);
      }
    });
    channel.stderr.resume();
    channel.once('close', () => {
      this.closed = true;
      this.#fail(new Error('channel closed'));
    });
  }

  /** Sends one request (`body` a Buffer or an async iterable of Buffers with `length` known). */
  async request({ method = 'GET', path, body, length, onBody }) {
    if (this.#current !== undefined) throw new Error('one request at a time');
    if (this.closed) throw new Error('channel closed');
    const done = new Promise((resolve, reject) => {
      this.#current = { resolve, reject, onBody, status: 0, headers: {} };
    });
    this.#state = 'head';
    this.#head = [];
    let head = `${method} ${path} HTTP/1.1\r\nHost: docker\r\n`;
    if (body !== undefined) head += `Content-Type: application/x-tar\r\nContent-Length: ${length ?? body.length}\r\n`;
    head += '\r\n';
    if (body === undefined || Buffer.isBuffer(body)) {
      this.#channel.write(body === undefined ? head : Buffer.concat([Buffer.from(head), body]));
    } else {
      this.#channel.write(head);
      for await (const chunk of body) {
        if (!this.#channel.write(chunk)) await new Promise((resolve) => this.#channel.once('drain', resolve));
      }
    }
    return done;
  }

  /** Ends the channel; resolves once the server has closed it too (its session slot is free). */
  close() {
    if (this.closed) return Promise.resolve();
    const closed = new Promise((resolve) => this.#channel.once('close', resolve));
    this.#channel.end();
    this.#channel.close();
    return closed;
  }

  #fail(err) {
    const current = this.#current;
    this.#current = undefined;
    this.#state = 'idle';
    current?.reject(err);
  }

  #finish() {
    const current = this.#current;
    this.#current = undefined;
    this.#state = 'idle';
    current?.resolve({ status: current.status, headers: current.headers });
  }

  #feed(data) {
    let offset = 0;
    while (offset < data.length) {
      switch (this.#state) {
        case 'idle':
          throw new Error('bytes with no request in flight');
        case 'head': {
          this.#head.push(data.subarray(offset));
          const joined = Buffer.concat(this.#head);
          const end = joined.indexOf(CRLF_CRLF);
          if (end === -1) {
            this.#head = [joined];
            if (joined.length > 65_536) throw new Error('response head too large');
            return;
          }
          // Bytes of `data` that belong to the head: what was added this time, up to the blank line.
          const consumedHere = end + 4 - (joined.length - (data.length - offset));
          offset += consumedHere;
          this.#parseHead(joined.subarray(0, end).toString('latin1'));
          break;
        }
        case 'length': {
          const take = Math.min(this.#remaining, data.length - offset);
          this.#current.onBody?.(data.subarray(offset, offset + take));
          offset += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#finish();
          break;
        }
        case 'chunk-size':
        case 'chunk-crlf':
        case 'trailer': {
          const nl = data.indexOf(10, offset);
          if (nl === -1) {
            this.#line += data.toString('latin1', offset);
            return;
          }
          const line = (this.#line + data.toString('latin1', offset, nl)).replace(/\r$/, '');
          this.#line = '';
          offset = nl + 1;
          if (this.#state === 'chunk-crlf') {
            if (line !== '') throw new Error('missing CRLF after chunk');
            this.#state = 'chunk-size';
          } else if (this.#state === 'chunk-size') {
            const size = Number.parseInt(/** @type {string} */ (line.split(';')[0]), 16);
            if (!Number.isFinite(size) || size < 0) throw new Error('bad chunk size');
            if (size === 0) {
              this.#state = 'trailer';
            } else {
              this.#remaining = size;
              this.#state = 'chunk-data';
            }
          } else if (line === '') {
            this.#finish();
          }
          break;
        }
        case 'chunk-data': {
          const take = Math.min(this.#remaining, data.length - offset);
          this.#current.onBody?.(data.subarray(offset, offset + take));
          offset += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = 'chunk-crlf';
          break;
        }
        default:
          throw new Error(`unknown state ${this.#state}`);
      }
    }
  }

  #parseHead(text) {
    const lines = text.split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
    if (status === null) throw new Error('bad status line');
    const current = this.#current;
    current.status = Number(status[1]);
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon > 0) current.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (/chunked/i.test(current.headers['transfer-encoding'] ?? '')) {
      this.#state = 'chunk-size';
    } else if (current.headers['content-length'] !== undefined) {
      this.#remaining = Number(current.headers['content-length']);
      this.#state = 'length';
      if (this.#remaining === 0) this.#finish();
    } else if (current.status === 204 || current.status === 304) {
      this.#finish();
    } else {
      throw new Error('response without length (read-to-close is not supported here)');
    }
  }
}

/**
 * A fixed set of channels on one bare connection; each request goes to the channel with the
 * shortest queue. Used for the concurrent-request figures.
 */
export class BarePool {
  #client;
  #channels;
  #queues;
  #depth;

  constructor(client, channels) {
    this.#client = client;
    this.#channels = channels;
    this.#queues = channels.map(() => Promise.resolve());
    this.#depth = channels.map(() => 0);
  }

  request(options) {
    let best = 0;
    for (let i = 1; i < this.#channels.length; i += 1) if (this.#depth[i] < this.#depth[best]) best = i;
    this.#depth[best] += 1;
    const run = this.#queues[best].then(async () => {
      // dockerd closes a connection that sent no request for 5 minutes (ReadHeaderTimeout), and
      // dial-stdio its channel with it: open a fresh one, as any client would.
      if (this.#channels[best].closed) this.#channels[best] = await bareChannel(this.#client);
      return this.#channels[best].request(options);
    });
    this.#queues[best] = run.then(
      () => undefined,
      () => undefined,
    );
    return run.finally(() => {
      this.#depth[best] -= 1;
    });
  }

  close() {
    return Promise.all(this.#channels.map((channel) => channel.close()));
  }
}
