import { FixtureError } from '../errors.js';
import type { FixtureContext } from './context.js';
import type { NetnsLink } from './netns.js';
import { run, runOk } from './proc.js';
import { Relay } from './relay.js';
import { which } from './system.js';

/**
 * Every network fault of a fixture, and only they: iptables chains in its namespace (cut, loss),
 * segmentation offloads (ethtool), tc qdiscs on both ends of its veth pair (rate), and the delay
 * relay (internal/relay.ts). Every argument passed to iptables, tc and ethtool is built here from
 * validated numbers and the fixture's own interface names. On loopback there is no link: each
 * fault throws ERR_FIXTURE_UNSUPPORTED, and `restore()` has nothing to do.
 *
 * Arguments are checked first (RangeError), then the fixture's `stopped` guard, then the link.
 */
export class Faults {
  readonly #ctx: FixtureContext;
  readonly #relay: Relay;
  #chainsReady = false;
  #offloadsOn = true;

  /** `host` and `port` are where sshd listens, which the relay forwards to. */
  constructor(ctx: FixtureContext, host: string, port: number) {
    this.#ctx = ctx;
    const { link, programs, env } = ctx;
    this.#relay = new Relay(link ? ctx.inFixture : undefined, env, programs, link, host, port);
  }

  #netnsOnly(what: string): NetnsLink {
    this.#ctx.assertRunning(what);
    const link = this.#ctx.link;
    if (!link) {
      throw new FixtureError(
        'ERR_FIXTURE_UNSUPPORTED',
        `${what} needs the fixture in its own network namespace (isolation 'netns': root on Linux with \`ip netns\`); this one runs on loopback`,
      );
    }
    return link;
  }

  async #iptables(args: readonly string[]): Promise<void> {
    const { ip, iptables } = this.#ctx.programs;
    const link = this.#netnsOnly('network faults');
    await runOk(ip, ['netns', 'exec', link.name, iptables, '-w', ...args]);
  }

  async #ensureChains(): Promise<void> {
    if (this.#chainsReady) return;
    for (const chain of ['SDK_CUT', 'SDK_LOSS']) {
      await this.#iptables(['-N', chain]);
      await this.#iptables(['-A', 'INPUT', '-i', 'eth0', '-j', chain]);
      await this.#iptables(['-A', 'OUTPUT', '-o', 'eth0', '-j', chain]);
    }
    this.#chainsReady = true;
  }

  // Segmentation offloads (GRO/GSO/TSO) on both ends of the link, via ethtool when it is installed
  // (install-system-deps.sh installs it); without it, loss() drops merged segments (coarser loss).
  async #setOffloads(on: boolean): Promise<void> {
    const ethtool = which('ethtool');
    const link = this.#ctx.link;
    if (!link || ethtool === undefined || on === this.#offloadsOn) return;
    const flags = ['gro', 'gso', 'tso'].flatMap((f) => [f, on ? 'on' : 'off']);
    await runOk(ethtool, ['-K', link.hostIf, ...flags]);
    await runOk(this.#ctx.programs.ip, ['netns', 'exec', link.name, ethtool, '-K', 'eth0', ...flags]);
    this.#offloadsOn = on;
  }

  /** Sends every new connection through the relay from now on, even at delay 0 (`relayAllConnections`). */
  async routeAll(): Promise<void> {
    await this.#relay.routeAll();
  }

  /** Adds `ms` to every round trip of connections opened afterwards (the relay); 0 removes it. */
  async delay(ms: number): Promise<void> {
    if (!Number.isInteger(ms) || ms < 0 || ms > 600_000) throw new RangeError('delay must be an integer number of ms from 0 to 600000');
    this.#ctx.assertRunning('delay');
    await this.#relay.setDelay(ms);
  }

  /** Drops `percent` % of packets in each direction on the link (iptables `statistic`). */
  async loss(percent: number): Promise<void> {
    if (!(percent >= 0 && percent <= 100)) throw new RangeError('loss must be a percentage from 0 to 100');
    await this.#ensureChains();
    await this.#iptables(['-F', 'SDK_LOSS']);
    // With segmentation offloads on, one "packet" here is a merged segment of up to 64 KiB, and
    // dropping 20% of those is far harsher than 20% packet loss: turn them off while loss is set.
    await this.#setOffloads(percent === 0);
    if (percent > 0) {
      const probability = (percent / 100).toFixed(6);
      await this.#iptables(['-A', 'SDK_LOSS', '-m', 'statistic', '--mode', 'random', '--probability', probability, '-j', 'DROP']);
    }
  }

  /** Limits the link to `bitsPerSecond` in each direction (tc `tbf`). */
  async rate(bitsPerSecond: number): Promise<void> {
    if (!Number.isInteger(bitsPerSecond) || bitsPerSecond < 8000) {
      throw new RangeError('rate must be an integer number of bits per second, at least 8000');
    }
    const { ip, tc } = this.#ctx.programs;
    const link = this.#netnsOnly('rate');
    const bytes = bitsPerSecond / 8;
    // burst: one MTU at least, ~20 ms of traffic otherwise; queue: ~1 s of traffic.
    const burst = String(Math.max(3000, Math.round(bytes / 50)));
    const limit = String(Math.max(64 * 1024, Math.round(bytes)));
    const tbf = ['root', 'tbf', 'rate', `${bitsPerSecond}bit`, 'burst', burst, 'limit', limit];
    await runOk(tc, ['qdisc', 'replace', 'dev', link.hostIf, ...tbf]);
    await runOk(ip, ['netns', 'exec', link.name, tc, 'qdisc', 'replace', 'dev', 'eth0', ...tbf]);
  }

  /** Drops every packet on the link: new connections time out, open ones stall. */
  async cut(): Promise<void> {
    await this.#ensureChains();
    await this.#iptables(['-F', 'SDK_CUT']);
    await this.#iptables(['-A', 'SDK_CUT', '-j', 'DROP']);
  }

  /** Heals cut(), loss(), rate() and delay(); a no-op on loopback, where none of them can be set. */
  async restore(): Promise<void> {
    this.#ctx.assertRunning('restore');
    const link = this.#ctx.link;
    if (!link) return;
    const { ip, tc } = this.#ctx.programs;
    if (this.#chainsReady) {
      await this.#iptables(['-F', 'SDK_CUT']);
      await this.#iptables(['-F', 'SDK_LOSS']);
    }
    await this.#setOffloads(true);
    await run(tc, ['qdisc', 'del', 'dev', link.hostIf, 'root']);
    await run(ip, ['netns', 'exec', link.name, tc, 'qdisc', 'del', 'dev', 'eth0', 'root']);
    await this.#relay.setDelay(0);
  }

  /**
   * Ends the relay (its connections close with it). The iptables rules and qdiscs stay: they go
   * with the namespace and the veth pair, which teardown removes. Idempotent.
   */
  async close(): Promise<void> {
    await this.#relay.close();
  }
}
