// Starts a fixture, stops it, and must then exit on its own: no timer of the fixture may keep it alive.
import { startDockerSshFixture } from '@ssh-docker/testkit';

const fixture = await startDockerSshFixture();
await fixture.stopDockerd();
await fixture.stop();
process.stdout.write('stopped\n');
