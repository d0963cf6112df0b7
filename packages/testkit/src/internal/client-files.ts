import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { knownHostsText } from './keys.js';
import type { HostKey } from './keys.js';
import { USERS, which } from './system.js';

/** known_hosts, an ssh_config with a `Host` alias, and an `ssh` that uses it (for `docker -H ssh://<alias>`). */
export async function writeClientFiles(
  dir: string,
  alias: string,
  host: string,
  port: number,
  hostKeys: readonly HostKey[],
  identityFile: string,
): Promise<{ knownHostsFile: string; sshConfigFile: string; alias: string; sshBinDir: string }> {
  const knownHostsFile = join(dir, 'known_hosts');
  await writeFile(knownHostsFile, knownHostsText(host, port, hostKeys), { mode: 0o644 });
  const sshConfigFile = join(dir, 'ssh_config');
  await writeFile(
    sshConfigFile,
    [
      `Host ${alias}`,
      `  HostName ${host}`,
      `  Port ${port}`,
      `  User ${USERS.docker}`,
      `  IdentityFile ${identityFile}`,
      '  IdentitiesOnly yes',
      `  UserKnownHostsFile ${knownHostsFile}`,
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const sshBinDir = join(dir, 'bin');
  await mkdir(sshBinDir, { mode: 0o755 });
  await writeFile(
    join(sshBinDir, 'ssh'),
    `#!/bin/sh\nexec '${which('ssh') ?? '/usr/bin/ssh'}' -F '${sshConfigFile}' "$@"\n`,
    { mode: 0o755 },
  );
  return { knownHostsFile, sshConfigFile, alias, sshBinDir };
}

