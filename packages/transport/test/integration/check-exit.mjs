// A script whose only work is check(): every step must finish before the process may exit
// (a command run for the docker CLI step holds a reference, as a channel being opened does).
import { createDockerSshTransport } from '@ssh-docker/transport';

const transport = createDockerSshTransport(JSON.parse(process.argv[2]));
const report = await transport.check();
process.stdout.write(`${report.steps.map((s) => `${s.name}:${s.status}`).join(',')}\n`);
