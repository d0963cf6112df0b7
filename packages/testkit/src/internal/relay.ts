import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { FixtureError } from '../errors.js';
import type { NetnsLink } from './netns.js';
import { debug, runOk, startDaemon } from './proc.js';
import type { Programs } from './system.js';

/** The port, inside the fixture's namespace, where the delay relay listens. */
const RELAY_PORT = 2299;

/**
 * The relay program, run by a separate `node` inside the fixture's network namespace (so a blocked
 * test event loop does not stall it). Plain JavaScript; it takes no input but its argv (numbers and
 * addresses the fixture chose) and `delay <ms>` lines on stdin, and answers `ok <ms>` on stdout.
 * Bytes from the server are held `delay` ms before they are sent on, in order, with backpressure.
 */
const RELAY_SOURCE = String.raw`
'use strict';
const net = require('node:net');
const [listenHost, listenPort, upHost, upPort] = process.argv.slice(1);
let delay = 0;
const sockets = new Set();
function delayed(from, to) {
  const queue = [];
  let bytes = 0;
  let timer = null;
  const flush = () => {
    timer = null;
    const now = Date.now();
    while (queue.length && queue[0].due <= now) {
      const item = queue.shift();
      if (item.chunk === null) { to.end(); return; }
      bytes -= item.chunk.length;
      to.write(item.chunk);
    }
    if (bytes < 4 << 20 && from.isPaused()) from.resume();
    if (queue.length) timer = setTimeout(flush, Math.max(0, queue[0].due - now));
  };
  const push = (chunk) => {
    if (delay === 0 && queue.length === 0) {
      if (chunk === null) to.end();
      else if (!to.write(chunk)) { from.pause(); to.once('drain', () => from.resume()); }
      return;
    }
    queue.push({ due: Date.now() + delay, chunk });
    if (chunk !== null) { bytes += chunk.length; if (bytes >= 4 << 20) from.pause(); }
    if (timer === null) timer = setTimeout(flush, Math.max(0, queue[0].due - Date.now()));
  };
  from.on('data', (chunk) => push(chunk));
  from.on('end', () => push(null));
}
const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const upstream = net.connect({ host: upHost, port: Number(upPort), allowHalfOpen: true });
  sockets.add(client); sockets.add(upstream);
  const done = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
  client.on('error', done); upstream.on('error', done);
  client.on('close', done); upstream.on('close', done);
  client.pipe(upstream);
  delayed(upstream, client);
});
server.listen(Number(listenPort), listenHost, () => process.stdout.write('listening\n'));
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const m = /^delay (\d+)$/.exec(line);
  if (m) { delay = Number(m[1]); process.stdout.write('ok ' + delay + '\n'); }
});
process.stdin.on('end', () => { for (const s of sockets) s.destroy(); process.exit(0); });
`;

type InFixture = (file: string, args: readonly string[]) => [string, string[]];

/**
 * Delay without netem: while a delay is set, new connections to the fixture's sshd are redirected
 * (iptables REDIRECT in the namespace's PREROUTING) to the relay, which forwards them to sshd.
 * Connections opened before `delay()` keep their direct path; connections that went through the
 * relay follow every later change of the delay, including back to 0.
 */
export class Relay {
  #child: ChildProcess | undefined;
  #lines: string[] = [];
  #waiters: (() => void)[] = [];
  #redirecting = false;
  readonly #inFixture: InFixture | undefined;
  readonly #env: NodeJS.ProcessEnv;
  readonly #programs: Programs;
  readonly #link: NetnsLink | undefined;
  readonly #host: string;
  readonly #port: number;

  constructor(
    inFixture: InFixture | undefined,
    env: NodeJS.ProcessEnv,
    programs: Programs,
    link: NetnsLink | undefined,
    host: string,
    port: number,
  ) {
    this.#inFixture = inFixture;
    this.#env = env;
    this.#programs = programs;
    this.#link = link;
    this.#host = host;
    this.#port = port;
  }

  async #nextLine(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (Date.now() > deadline || !this.#child || this.#child.exitCode !== null) {
        throw new FixtureError('ERR_FIXTURE_COMMAND', 'the delay relay did not answer');
      }
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
    return this.#lines.shift() ?? '';
  }

  async #start(): Promise<void> {
    if (this.#child && this.#child.exitCode === null) return;
    if (!this.#inFixture || !this.#link) {
      throw new FixtureError(
        'ERR_FIXTURE_UNSUPPORTED',
        "delay needs the fixture in its own network namespace (isolation 'netns': root on Linux with `ip netns`); this one runs on loopback",
      );
    }
    const [file, args] = this.#inFixture(process.execPath, [
      '-e',
      RELAY_SOURCE,
      this.#host,
      String(RELAY_PORT),
      this.#host,
      String(this.#port),
    ]);
    const child = startDaemon(file, args, this.#env, ['pipe', 'pipe', 'ignore']);
    this.#child = child;
    this.#lines = [];
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (line) => {
        this.#lines.push(line);
        for (const wake of this.#waiters.splice(0)) wake();
      });
    }
    const first = await this.#nextLine(10_000);
    if (first !== 'listening') throw new FixtureError('ERR_FIXTURE_COMMAND', `the delay relay did not start: ${first}`);
    debug('delay relay listening on %s:%d', this.#host, RELAY_PORT);
  }

  async #redirect(on: boolean): Promise<void> {
    if (on === this.#redirecting || !this.#link) return;
    const rule = ['PREROUTING', '-i', 'eth0', '-p', 'tcp', '-d', this.#host, '--dport', String(this.#port), '-j', 'REDIRECT', '--to-ports', String(RELAY_PORT)];
    await runOk(this.#programs.ip, ['netns', 'exec', this.#link.name, this.#programs.iptables, '-w', '-t', 'nat', on ? '-A' : '-D', ...rule]);
    this.#redirecting = on;
  }

  /** With `always`, every new connection goes through the relay, even at delay 0. */
  #always = false;

  async routeAll(): Promise<void> {
    this.#always = true;
    await this.setDelay(0, true);
  }

  async setDelay(ms: number, force = false): Promise<void> {
    if (ms === 0 && !this.#child && !force) return;
    await this.#start();
    this.#child?.stdin?.write(`delay ${ms}\n`);
    const answer = await this.#nextLine(5000);
    if (answer !== `ok ${ms}`) throw new FixtureError('ERR_FIXTURE_COMMAND', `the delay relay answered ${answer}`);
    await this.#redirect(ms > 0 || this.#always);
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => { resolve(); }));
    child.stdin?.end();
    child.kill('SIGKILL');
    await exited;
  }
}
