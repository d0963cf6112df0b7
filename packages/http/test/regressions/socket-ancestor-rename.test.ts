import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, test } from 'vitest';
import { serveDockerSocket, type DockerSocketServer, type HttpError } from '../../src/index.js';

// Audit (issue 11, item 9): `--socket /tmp/x/nobodydir/mine/docker.sock` with `mine` 0700 and ours
// was accepted although its parent belonged to another user. That user renamed `mine`, made their
// own `mine/docker.sock`, and received the next client's X-Registry-Auth. Every directory above the
// socket must be owned by us or root and not writable by others (OpenSSH misc.c safe_path()).

const NOBODY = 65534;
const dirs: string[] = [];
const proxies: DockerSocketServer[] = [];
const asRoot = process.getuid?.() === 0;

afterEach(async () => {
  for (const p of proxies.splice(0)) await p.close({ timeoutMs: 100 });
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function base(): string {
  const d = mkdtempSync(join(tmpdir(), 'http-rename-'));
  chmodSync(d, 0o755);
  dirs.push(d);
  return d;
}

const connect = (): Promise<PassThrough> => Promise.resolve(new PassThrough());

async function refusal(p: Promise<unknown>): Promise<HttpError> {
  return p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (err: unknown) => err as HttpError,
  );
}

describe.runIf(asRoot)('a socket below a directory another user can rename', () => {
  test('is refused with ERR_HTTP_UNSAFE_PATH naming that directory, although its own directory is ours and 0700', async () => {
    const top = base();
    const theirs = join(top, 'nobodydir');
    mkdirSync(theirs, { mode: 0o755 });
    chownSync(theirs, NOBODY, NOBODY);
    const mine = join(theirs, 'mine');
    mkdirSync(mine, { mode: 0o700 });

    // The threat is real: the other uid can move our directory away and put its own in its place.
    const moved = spawnSync('mv', [mine, join(theirs, 'moved')], { uid: NOBODY, gid: NOBODY });
    expect(moved.status).toBe(0);
    const made = spawnSync('mkdir', [mine], { uid: NOBODY, gid: NOBODY });
    expect(made.status).toBe(0);
    rmSync(mine, { recursive: true });
    rmSync(join(theirs, 'moved'), { recursive: true });
    mkdirSync(mine, { mode: 0o700 });

    const err = await refusal(serveDockerSocket(connect, { path: join(mine, 'docker.sock') }));
    expect(err.code).toBe('ERR_HTTP_UNSAFE_PATH');
    expect(err.message).toBe(
      `the directory ${theirs} above the socket belongs to another user: anyone who can rename it can put their own socket in its place; choose a path whose every directory is owned by you or root and not writable by others`,
    );
    expect(existsSync(join(mine, 'docker.sock'))).toBe(false);
  });

  test('is refused when an ancestor is group- or world-writable without the sticky bit', async () => {
    const top = base();
    const open = join(top, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    mkdirSync(join(open, 'mine'), { mode: 0o700 });
    const err = await refusal(serveDockerSocket(connect, { path: join(open, 'mine', 'docker.sock') }));
    expect(err.code).toBe('ERR_HTTP_UNSAFE_PATH');
    expect(err.message).toContain(`the directory ${open} above the socket is group- or world-writable`);
  });

  test('is served when the writable ancestor is root-owned and sticky (as /tmp), or every ancestor is ours or root', async () => {
    const top = base();
    const sticky = join(top, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    mkdirSync(join(sticky, 'mine'), { mode: 0o700 });
    const a = await serveDockerSocket(connect, { path: join(sticky, 'mine', 'docker.sock') });
    proxies.push(a);
    expect(existsSync(a.path)).toBe(true);
    // A missing last directory is made 0700 under a safe parent.
    const b = await serveDockerSocket(connect, { path: join(top, 'fresh', 'docker.sock') });
    proxies.push(b);
    expect(existsSync(b.path)).toBe(true);
  });
});
