import type { Duplex } from 'node:stream';

/** The socket methods Node's http and undici may call on a connection. */
interface SocketLike {
  setTimeout?: unknown;
  setKeepAlive?: unknown;
  setNoDelay?: unknown;
  ref?: unknown;
  unref?: unknown;
}

/**
 * Makes any Duplex usable where Node's http or undici expect a socket: adds the socket methods it
 * lacks (and only those). `setTimeout` is emulated with a timer reset whenever data is emitted,
 * which is what an idle timeout needs; the others do nothing on a stream that has no such knob.
 */
export function asSocket(stream: Duplex): Duplex {
  const s = stream as Duplex & SocketLike;
  if (typeof s.setTimeout !== 'function') {
    let timer: NodeJS.Timeout | undefined;
    let ms = 0;
    const arm = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = ms > 0 && !stream.destroyed ? setTimeout(() => stream.emit('timeout'), ms) : undefined;
      timer?.unref();
    };
    // Activity is seen by watching 'data' being emitted, not by listening for it: a 'data' listener
    // would switch the stream to flowing mode and bytes could be lost before Node's parser attaches.
    const emit = stream.emit.bind(stream);
    Object.defineProperty(stream, 'emit', {
      configurable: true,
      value(event: string | symbol, ...args: unknown[]): boolean {
        if (event === 'data' && timer !== undefined) arm();
        if (event === 'close' && timer !== undefined) {
          clearTimeout(timer);
          timer = undefined;
        }
        return emit(event, ...args);
      },
    });
    Object.defineProperty(stream, 'setTimeout', {
      configurable: true,
      value(this: Duplex, timeoutMs: number, onTimeout?: () => void) {
        ms = timeoutMs;
        if (onTimeout !== undefined) {
          if (timeoutMs > 0) this.once('timeout', onTimeout);
          else this.removeListener('timeout', onTimeout);
        }
        arm();
        return this;
      },
    });
  }
  for (const name of ['setKeepAlive', 'setNoDelay', 'ref', 'unref'] as const) {
    if (typeof s[name] !== 'function') {
      Object.defineProperty(stream, name, {
        configurable: true,
        value(this: Duplex) {
          return this;
        },
      });
    }
  }
  return stream;
}
