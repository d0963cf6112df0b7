import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDockerSshFixture } from '@ssh-docker/testkit';
import type { DockerSshFixture } from '@ssh-docker/testkit';
import { createDockerSshTransport } from '../../src/index.js';
import { httpOver, waitFor } from './helpers.js';

// Audit (issue 11, item 2): `UserKnownHostsFile /dev/null` + `StrictHostKeyChecking no`, or a
// known_hosts path that cannot be written, made every connect fail with a plain EINVAL/ENOENT Error
// (after creating /dev/null.lock) and left each authenticated SSH connection ESTABLISHED.
// Now, as ssh(1): /dev/null swallows the line; an unwritable file is a warning and the connection goes on.

let fixture: DockerSshFixture;
let scratch: string;
const sessions = (): Promise<number> => fixture.countRemote(/^sshd: sdk-/);

beforeAll(async () => {
  fixture = await startDockerSshFixture();
  scratch = await mkdtemp(join(tmpdir(), 'sdk-unrecordable-'));
  await writeFile(join(scratch, 'plain-file'), 'not a directory\n');
});

afterAll(async () => {
  await fixture.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function fiveStreamsThenClose(knownHostsFile: string): Promise<{ warnings: Record<string, unknown>[] }> {
  const warnings: Record<string, unknown>[] = [];
  const onWarning = (m: unknown): void => {
    warnings.push(m as Record<string, unknown>);
  };
  subscribe('ssh-docker:transport:warning', onWarning);
  const transport = createDockerSshTransport({
    url: fixture.url,
    configFile: false,
    agent: false,
    identityFiles: [fixture.identityFile],
    knownHostsFiles: [knownHostsFile],
    hostKeyPolicy: 'accept-new',
    maxChannelsPerConnection: 1,
  });
  const streams: Duplex[] = [];
  try {
    for (let i = 0; i < 5; i += 1) {
      const stream = await transport.openStream();
      streams.push(stream);
      const res = await httpOver(stream, '/_ping');
      expect(res.status).toBe(200);
    }
  } finally {
    unsubscribe('ssh-docker:transport:warning', onWarning);
    await transport.close({ timeoutMs: 2000 });
  }
  return { warnings };
}

describe('accept-new with a known_hosts that cannot record the key', () => {
  it('UserKnownHostsFile /dev/null connects, creates no /dev/null.lock and leaves no session after close()', async () => {
    const before = await sessions();
    const { warnings } = await fiveStreamsThenClose('/dev/null');
    // ssh(1) appends to /dev/null like a file: nothing to warn about.
    expect(warnings).toEqual([]);
    expect(existsSync('/dev/null.lock')).toBe(false);
    expect(await waitFor(async () => (await sessions()) === before, 5000)).toBe(true);
  });

  it('an unwritable known_hosts warns WARN_KNOWN_HOSTS_NOT_RECORDED, connects, and leaves no session and no lock file', async () => {
    const before = await sessions();
    const path = join(scratch, 'plain-file', 'known_hosts');
    const { warnings } = await fiveStreamsThenClose(path);
    expect(warnings.length).toBeGreaterThan(0);
    for (const w of warnings) {
      expect(w).toMatchObject({ code: 'WARN_KNOWN_HOSTS_NOT_RECORDED', host: fixture.host, port: fixture.port, file: path });
      expect(w['message']).toBe(
        `failed to add the host to the list of known hosts (${path}: ENOTDIR); the connection goes on, but the key will be unknown again next time: make UserKnownHostsFile a writable file in a writable directory`,
      );
    }
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(existsSync(join(scratch, 'plain-file.lock'))).toBe(false);
    expect(await waitFor(async () => (await sessions()) === before, 5000)).toBe(true);
  });
});
