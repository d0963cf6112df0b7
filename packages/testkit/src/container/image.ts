import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FixtureError } from '../errors.js';
import { run } from '../internal/proc.js';
import { which } from '../internal/system.js';

/** Repository part of the container host's image tag; the tag is the hash of the build inputs. */
export const IMAGE_REPOSITORY = 'ssh-docker-testkit/host';

/** The files of `container/` that go into the image; their bytes make the tag. */
const BUILD_INPUTS = ['build.sh'] as const;

function here(): string {
  // The CJS build gets import.meta.url from tsup's shims.
  return dirname(fileURLToPath(import.meta.url));
}

/**
 * The package's `container/` directory (build inputs), found by walking up from this module: it is
 * `../../container` from `src/container/`, `../container` from `dist/`.
 */
export function buildInputsDir(): string {
  let dir = here();
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'container');
    if (existsSync(join(candidate, 'build.sh')) && statSync(candidate).isDirectory()) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new FixtureError('ERR_FIXTURE_MISSING_PACKAGE', `the container build inputs (container/build.sh) were not found above ${here()}`);
}

/** `ssh-docker-testkit/host:<16 hex of sha256 over the build inputs' names and bytes>`. */
export function imageTag(inputsDir = buildInputsDir()): string {
  const hash = createHash('sha256');
  const present = new Set(readdirSync(inputsDir));
  for (const name of BUILD_INPUTS) {
    if (!present.has(name)) throw new FixtureError('ERR_FIXTURE_MISSING_PACKAGE', `${join(inputsDir, name)} is missing`);
    hash.update(`${name}\0`);
    hash.update(readFileSync(join(inputsDir, name)));
    hash.update('\0');
  }
  return `${IMAGE_REPOSITORY}:${hash.digest('hex').slice(0, 16)}`;
}

export interface DockerCli {
  /** The docker CLI program. */
  file: string;
  /** Its environment (DOCKER_HOST of the daemon that runs the container host). */
  env: NodeJS.ProcessEnv;
}

export async function imageExists(cli: DockerCli, tag: string): Promise<boolean> {
  const result = await run(cli.file, ['image', 'inspect', '--format', '{{.Id}}', tag], { env: cli.env, timeoutMs: 30_000 });
  return result.code === 0;
}

const building = new Map<string, Promise<ImageResult>>();

export interface ImageResult {
  tag: string;
  /** True when this call built the image; false when it was already there. */
  built: boolean;
  /** Build time in ms (0 when reused). */
  buildMs: number;
}

/**
 * Returns the image tag, building it first when the daemon does not have it: `container/build.sh`
 * runs mmdebstrap (Debian bookworm from deb.debian.org) and `docker import`s the root file system.
 * Concurrent calls in one process share one build.
 */
export function ensureImage(cli: DockerCli, options: { log?: (line: string) => void } = {}): Promise<ImageResult> {
  const inputs = buildInputsDir();
  const tag = imageTag(inputs);
  const pending = building.get(tag);
  if (pending) return pending;
  const job = (async (): Promise<ImageResult> => {
    if (await imageExists(cli, tag)) return { tag, built: false, buildMs: 0 };
    if (!which('mmdebstrap')) {
      throw new FixtureError(
        'ERR_FIXTURE_MISSING_PACKAGE',
        `the container host image ${tag} is not on the daemon and building it needs mmdebstrap: run \`apt-get install mmdebstrap\` (Debian/Ubuntu), or build it once on such a machine and \`docker save\`/\`docker load\` it here`,
      );
    }
    options.log?.(`building ${tag} with mmdebstrap (downloads Debian packages from deb.debian.org)`);
    const started = Date.now();
    const result = await run('/bin/sh', [join(inputs, 'build.sh'), tag], { env: { ...cli.env, DOCKER: cli.file }, timeoutMs: 45 * 60_000 });
    if (result.code !== 0 || !(await imageExists(cli, tag))) {
      throw new FixtureError(
        'ERR_FIXTURE_START',
        `building ${tag} failed (exit ${result.code}); its output ends:\n${(result.stdout + result.stderr).slice(-3000)}`,
      );
    }
    return { tag, built: true, buildMs: Date.now() - started };
  })();
  building.set(tag, job);
  job.catch(() => building.delete(tag));
  return job;
}
