// Starts a fixture and an ssh session into it, prints the pids of that session's sshd processes,
// then waits to be ended by a signal without calling stop(): the exit hook must clean up.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { startDockerSshFixture } from '@ssh-docker/testkit';

const fixture = await startDockerSshFixture();
const ssh = spawn('ssh', ['-i', fixture.identityFile, '-o', `UserKnownHostsFile=${fixture.knownHostsFile}`, '-o', 'BatchMode=yes', '-p', String(fixture.port), `${fixture.user}@${fixture.host}`, 'sleep', '600'], { stdio: 'ignore' });

/** sshd processes serving this fixture's user outside this process's network namespace (the fixture's). */
function sessionPids() {
  const own = readlinkSync('/proc/self/ns/net');
  const found = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.startsWith(`sshd: ${fixture.user}`) && readlinkSync(`/proc/${pid}/ns/net`) !== own) found.push(Number(pid));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

let pids = [];
for (let i = 0; i < 200 && pids.length < 2; i++) {
  await sleep(50);
  pids = sessionPids();
}
process.stdout.write(`${JSON.stringify(pids)}\n`);
ssh.on('exit', () => undefined);
await sleep(600_000);
