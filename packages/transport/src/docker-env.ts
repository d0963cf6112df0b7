import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { formatSshUrl, parseSshUrl } from '@ssh-docker/url';
import { TransportError } from './errors.js';

/** Where {@link fromDockerEnv} found the target. */
export type DockerEnvSource = 'context-option' | 'DOCKER_HOST' | 'DOCKER_CONTEXT' | 'currentContext';

/** What {@link fromDockerEnv} returns: the target the docker CLI would use, as an `ssh://` URL. */
export interface DockerEnvTarget {
  /** `ssh://[user@]host[:port]`, without a password shown and without any path: give it as `url`. */
  readonly url: string;
  /** Where it came from, by the docker CLI's precedence. */
  readonly source: DockerEnvSource;
  /** The Docker context's name, when the target came from a context. */
  readonly context?: string;
  /**
   * The path the Docker host URL had (`ssh://host/var/run/docker.sock`), left out of `url`: it is
   * never used (`docker system dial-stdio` finds the remote socket itself; a path from a URL never
   * reaches a remote shell). Say so to the user; pass `socketPath` for a non-default socket.
   */
  readonly ignoredSocketPath?: string;
}

/** Options of {@link fromDockerEnv}. Every field defaults to what the docker CLI reads. */
export interface FromDockerEnvOptions {
  /** A context chosen explicitly (the docker CLI's `--context`): it wins over the environment. */
  readonly context?: string;
  /** The environment read for DOCKER_HOST, DOCKER_CONTEXT and DOCKER_CONFIG: default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** The home directory under which `.docker` is found when DOCKER_CONFIG is unset: default `os.homedir()`. */
  readonly homeDir?: string;
}

/** The docker CLI's rule for context names (cli/context/store). */
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

/** A config or meta file larger than this is not the docker CLI's. */
const MAX_FILE_BYTES = 1024 * 1024;

function contextError(message: string): TransportError {
  return new TransportError('ERR_DOCKER_CONTEXT', message);
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw contextError(`${what} (${path}) is larger than ${MAX_FILE_BYTES} bytes: it is not the docker CLI's; check the file`);
    text = bytes.toString('utf8');
  } catch (err) {
    if (err instanceof TransportError) throw err;
    const code = (err as { code?: unknown }).code;
    if (code === 'ENOENT') return undefined;
    throw contextError(`${what} (${path}) could not be read (${typeof code === 'string' ? code : 'error'}): check its permissions`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw contextError(`${what} (${path}) is not valid JSON: repair it, or recreate the context with docker context create`);
  }
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/**
 * The `ssh://` URL of a Docker host string. Any other scheme is refused with `ERR_SSH_URL_SCHEME`
 * (from `@ssh-docker/url`): a `unix://`, `tcp://` or `npipe://` daemon is reached by Docker
 * clients directly, without SSH.
 */
function sshTarget(host: string, source: DockerEnvSource, context?: string): DockerEnvTarget {
  // The docker CLI refuses a password in an ssh:// host too ("plain-text password is not supported").
  const parsed = parseSshUrl(host, { allowPassword: false });
  const url = formatSshUrl({ host: parsed.host, ...(parsed.port === undefined ? {} : { port: parsed.port }), ...(parsed.user === undefined ? {} : { user: parsed.user }) });
  return {
    url,
    source,
    ...(context === undefined ? {} : { context }),
    ...(parsed.ignoredSocketPath === undefined ? {} : { ignoredSocketPath: parsed.ignoredSocketPath }),
  };
}

/** The directory the docker CLI keeps its config in: DOCKER_CONFIG, else `~/.docker`. */
function configDir(env: Readonly<Record<string, string | undefined>>, homeDir: string): string {
  const fromEnv = env['DOCKER_CONFIG'];
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homeDir, '.docker');
}

/**
 * The Docker host of a context the docker CLI created (`docker context create NAME --docker
 * host=ssh://…`), read from `contexts/meta/<sha256 of NAME>/meta.json` under the docker config
 * directory, or `undefined` when no such context exists.
 *
 * @throws TransportError `ERR_DOCKER_CONTEXT` when the context's files are unreadable or malformed.
 */
export function dockerContextHost(name: string, options: Omit<FromDockerEnvOptions, 'context'> = {}): string | undefined {
  if (!CONTEXT_NAME.test(name)) return undefined;
  const dir = configDir(options.env ?? process.env, options.homeDir ?? homedir());
  const hash = createHash('sha256').update(name).digest('hex');
  const path = join(dir, 'contexts', 'meta', hash, 'meta.json');
  const meta = readJson(path, `the metadata of Docker context ${name}`);
  if (meta === undefined) return undefined;
  const host = field(field(field(meta, 'Endpoints'), 'docker'), 'Host');
  if (typeof host !== 'string' || host === '') {
    throw contextError(`Docker context ${name} has no docker endpoint host (${path}): recreate it with docker context create ${name} --docker host=ssh://user@host`);
  }
  return host;
}

function fromContext(name: string, source: DockerEnvSource, env: Readonly<Record<string, string | undefined>>, homeDir: string): DockerEnvTarget {
  if (name === 'default') {
    // The docker CLI's `default` context is DOCKER_HOST, else the local socket: no SSH host.
    throw contextError("no SSH target: DOCKER_HOST is unset and the Docker context is 'default', the local daemon socket; give ssh://user@host (or a Host alias), set DOCKER_HOST=ssh://user@host, or choose an ssh context (docker context use NAME)");
  }
  if (!CONTEXT_NAME.test(name)) {
    throw contextError(`a Docker context name (from ${source}) must match ${CONTEXT_NAME.source}, as the docker CLI requires: check the name`);
  }
  const host = dockerContextHost(name, { env, homeDir });
  if (host === undefined) {
    throw contextError(`Docker context ${name} (from ${source}) does not exist under ${configDir(env, homeDir)}: list the contexts with docker context ls`);
  }
  return sshTarget(host, source, name);
}

/**
 * The SSH target the docker CLI would use, with its precedence: an explicit `context` (its
 * `--context`), then `DOCKER_HOST`, then `DOCKER_CONTEXT`, then `currentContext` in
 * `config.json` (under DOCKER_CONFIG, else `~/.docker`), else the `default` context. Nothing is
 * read implicitly by the transport: call this when you want the docker CLI's target. Synchronous:
 * it reads two small files at most.
 *
 * @throws UrlError `ERR_SSH_URL_SCHEME` when the chosen host is not `ssh://` (`unix://`, `tcp://`,
 * `npipe://`, `http(s)://`: Docker clients reach those directly), or another `ERR_SSH_URL_*` for a
 * malformed URL.
 * @throws TransportError `ERR_DOCKER_CONTEXT` when the chosen context does not exist, is the
 * `default` one without DOCKER_HOST (the local socket), or its files are malformed.
 *
 * @example
 * ```ts
 * import { createDockerSshTransport, fromDockerEnv } from '@ssh-docker/transport';
 *
 * // DOCKER_HOST=ssh://deploy@docker-1.example.com, or `docker context use prod`
 * const { url } = fromDockerEnv();
 * const transport = createDockerSshTransport({ url });
 * ```
 */
export function fromDockerEnv(options: FromDockerEnvOptions = {}): DockerEnvTarget {
  if (typeof options !== 'object' || options === null) throw new TypeError('fromDockerEnv() takes an options object');
  const env = options.env ?? process.env;
  const homeDir = options.homeDir ?? homedir();
  if (options.context !== undefined) {
    if (typeof options.context !== 'string' || options.context === '') throw new TypeError('options.context must be a non-empty context name');
    return fromContext(options.context, 'context-option', env, homeDir);
  }
  // cli/command/cli.go resolveContextName: a non-empty DOCKER_HOST means the default context with that host.
  const dockerHost = env['DOCKER_HOST'];
  if (dockerHost !== undefined && dockerHost !== '') return sshTarget(dockerHost, 'DOCKER_HOST');
  const dockerContext = env['DOCKER_CONTEXT'];
  if (dockerContext !== undefined && dockerContext !== '') return fromContext(dockerContext, 'DOCKER_CONTEXT', env, homeDir);
  const dir = configDir(env, homeDir);
  const current = field(readJson(join(dir, 'config.json'), 'the docker CLI config'), 'currentContext');
  if (typeof current === 'string' && current !== '') return fromContext(current, 'currentContext', env, homeDir);
  return fromContext('default', 'currentContext', env, homeDir);
}
