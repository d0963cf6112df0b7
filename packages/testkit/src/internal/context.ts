import type { ChildProcess } from 'node:child_process';
import type { NetnsLink } from './netns.js';
import type { Programs } from './system.js';

/**
 * What the parts of one fixture (internal/sshd.ts, internal/dockerd.ts, internal/faults.ts) share,
 * built once by the fixture. A part runs its programs through `inFixture` and `env` and hands every
 * long-lived child to `track`, so that it never needs to know where the fixture runs.
 */
export interface FixtureContext {
  readonly id: string;
  /** The fixture's temp dir: every config, key, log, socket and data root lives under it. */
  readonly dir: string;
  readonly programs: Programs;
  /** The fixture's network namespace and veth pair; undefined on loopback. */
  readonly link: NetnsLink | undefined;
  /** The environment of every daemon: a fixed PATH and the fixture's marker (teardown finds it again). */
  readonly env: Record<string, string>;
  /** A command that runs `file args` in the fixture's network namespace (nsenter), or as is on loopback. */
  readonly inFixture: (file: string, args: readonly string[]) => [string, string[]];
  /** Keeps `child` in the fixture's children until it exits: teardown and the exit hook SIGKILL what is left. */
  track(child: ChildProcess): void;
  /** The one `stopped` guard: throws ERR_FIXTURE_STOPPED (`<what>: the fixture is stopped`) once stop() began. */
  assertRunning(what: string): void;
}
