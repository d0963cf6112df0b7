import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { startDockerSshFixture } from '@ssh-docker/testkit';

/** What these tests need from the testkit fixture: its real dockerd's socket and images. */
export interface DockerFixture {
  readonly dockerSocket: string;
  readonly image: string;
  /** Makes an image with `randomMiB` MiB of random data and returns its name. */
  makeImage(name: string, options: { randomMiB: number }): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the testkit's throwaway host (real sshd + real dockerd); these tests use its dockerd. */
export async function startFixture(): Promise<DockerFixture> {
  const fixture = await startDockerSshFixture();
  return {
    dockerSocket: fixture.dockerSocket,
    image: fixture.image,
    async makeImage(name, options) {
      await fixture.makeImage(name, options);
      return name;
    },
    stop: () => fixture.stop(),
  };
}

/**
 * The connector the transport will provide (one dial-stdio channel per call), here straight to the
 * daemon's socket: the http package's contract is "any Duplex".
 */
export function socketConnector(path: string): () => Promise<Duplex> {
  return () => Promise.resolve(netConnect({ path, allowHalfOpen: true }));
}
