// Starts a container host and exits without stop(): the process 'exit' hook must remove the
// container, its volume and the temp dir. Prints the container name and temp dir first.
import { startContainerHost } from '@ssh-docker/testkit';

const host = await startContainerHost();
process.stdout.write(`${JSON.stringify({ container: host.container, dir: host.dir })}\n`);
process.exit(0);
