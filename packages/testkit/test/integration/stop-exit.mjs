// Starts a fixture, stops it, and must then exit on its own: no timer of the fixture may keep it alive.
// It prints when the stopping began, so that the test times only the stop and the exit.
import { startDockerSshFixture } from '@ssh-docker/testkit';

const fixture = await startDockerSshFixture();
process.stdout.write(`stopping at ${Date.now()}\n`);
await fixture.stopDockerd();
await fixture.stop();
process.stdout.write('stopped\n');
