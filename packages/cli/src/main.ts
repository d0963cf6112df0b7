import { homedir, userInfo } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Secret } from '@ssh-docker/url';
import { parseCommandLine } from './internal/args.js';
import type { CommandLine } from './internal/args.js';
import { check } from './internal/commands/check.js';
import { demo } from './internal/commands/demo.js';
import { background } from './internal/commands/background.js';
import { proxy } from './internal/commands/proxy.js';
import { refuseSecretTarget, resolveTarget } from './internal/connect.js';
import type { StdinSecrets } from './internal/connect.js';
import type { CommandContext } from './internal/context.js';
import { helpText } from './internal/help.js';
import { errorCode, Printer, renderError } from './internal/output.js';
import { readStdinSecrets } from './internal/stdin.js';
import { ttyPassphrase } from './internal/tty.js';
import { UsageError } from './internal/usage-error.js';
import { VERSION } from './internal/version.js';

/**
 * Where `main` reads and writes. `signal` stops `proxy` (default: SIGINT or SIGTERM of this process).
 *
 * @example
 * ```ts
 * const io: CliIo = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
 * ```
 */
export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborting it stops `proxy`; without it, `proxy` stops on SIGINT or SIGTERM. */
  readonly signal?: AbortSignal | undefined;
  /** Relative paths (`-i`, `-F`, `--socket`) are taken from here. Default: `process.cwd()`. */
  readonly cwd?: string | undefined;
  /**
   * How to start this CLI again (`[node, ...execArgv, bin.js]`), for `proxy --print-env`, which
   * runs the proxy as a background process. The `ssh-docker` binary sets it; without it
   * `--print-env` is refused.
   */
  readonly self?: readonly string[] | undefined;
}

/** Exit codes: 0 success, 1 a failure (a check step, a connection), 2 a command-line mistake. */
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** A signal that aborts on SIGINT, SIGTERM or SIGHUP while `proxy` runs, and lets the default come back after. */
function processSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(130); // a second Ctrl-C: stop waiting for the drain
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
      process.removeListener('SIGHUP', onSignal);
    },
  };
}

/** The current uid's home directory from the password database, or undefined when it has no entry. */
function passwdHome(): string | undefined {
  try {
    const { homedir: home } = userInfo();
    return home === '' ? undefined : home;
  } catch {
    return undefined;
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unhandled command ${String(value)}`);
}

function usage(err: UsageError, printer: Printer): number {
  printer.line(`ssh-docker${err.command === undefined ? '' : ` ${err.command}`}: ${err.message}`);
  printer.line(`Run 'ssh-docker ${err.command === undefined ? '' : `${err.command} `}--help' for usage.`);
  return EXIT_USAGE;
}

/**
 * Runs the `ssh-docker` command line and resolves with its exit code; never calls `process.exit`
 * (except on a second Ctrl-C while `proxy` drains). Every line it writes has its URL passwords
 * masked and its control characters made visible; secrets read from stdin never reach its output
 * (remote text is scrubbed of them where it enters).
 *
 * @example
 * ```ts
 * import { main } from '@ssh-docker/cli';
 *
 * const code = await main(['check', 'ssh://deploy@build-1', '-o', 'StrictHostKeyChecking=accept-new'], {
 *   stdout: process.stdout,
 *   stderr: process.stderr,
 *   stdin: process.stdin,
 *   env: process.env,
 * });
 * process.exitCode = code;
 * ```
 */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const secrets: Secret[] = [];
  const out = new Printer(io.stdout);
  const err = new Printer(io.stderr);
  const env = io.env;
  // Two homes, as the two tools each have their own rule: ssh(1) takes `~` and ~/.ssh/config from
  // the password database (ssh.c: pw->pw_dir), not $HOME, so `sudo -E` or a CI job's HOME does not
  // change which keys and config are used; the docker CLI finds ~/.docker from $HOME.
  const dockerHome = env['HOME'] ?? homedir();
  const homeDir = passwdHome() ?? dockerHome;
  const cwd = io.cwd ?? process.cwd();
  let stdinSecrets: StdinSecrets = {};
  let command: CommandLine;
  try {
    command = parseCommandLine(argv, { homeDir, cwd, env });
  } catch (e) {
    if (e instanceof UsageError) return usage(e, err);
    throw e;
  }
  let ownSignal: { signal: AbortSignal; dispose(): void } | undefined;
  // Keeps the process alive until the command is done: the transport unrefs its SSH socket when no
  // channel is open, and check()'s `docker --version` exec holds no ref, so Node would exit in the
  // middle of a check, with code 0 and half the report unprinted.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    switch (command.kind) {
      case 'help':
        out.write(helpText(command.command));
        return 0;
      case 'version':
        out.line(`ssh-docker ${VERSION}`);
        return 0;
      case 'demo':
        return await demo({ out, err, env, homeDir, cwd, signal: io.signal ?? new AbortController().signal, secrets: {} });
      case 'check':
      case 'proxy': {
        stdinSecrets = await readStdinSecrets(io.stdin, { password: command.passwordStdin, passphrase: command.passphraseStdin });
        if (stdinSecrets.password !== undefined) secrets.push(stdinSecrets.password);
        if (stdinSecrets.passphrase !== undefined) secrets.push(stdinSecrets.passphrase);
        // As ssh: a passphrase is asked on the terminal (never echoed) when stdin is one and none is piped in.
        if (!command.passphraseStdin && (io.stdin as Readable & { isTTY?: boolean }).isTTY === true) {
          stdinSecrets = { ...stdinSecrets, askPassphrase: ttyPassphrase(secrets) };
        }
        for (const warning of command.warnings) err.line(`note: ${warning}`);
        const { args, notes } = resolveTarget(command, env, dockerHome);
        // Before any note names the target: its user may be the secret, pasted in the wrong place.
        refuseSecretTarget(args, stdinSecrets);
        for (const note of notes) err.line(`note: ${note}`);
        if (command.kind === 'proxy' && command.printEnv === true) {
          if (io.self === undefined) throw new UsageError('--print-env needs the ssh-docker command itself (it starts the proxy in the background)', 'proxy');
          return await background(io.self, argv, { out, err, env, cwd });
        }
        if (command.kind === 'proxy' && io.signal === undefined) ownSignal = processSignal();
        const context: CommandContext = { out, err, env, homeDir, cwd, signal: io.signal ?? ownSignal?.signal ?? new AbortController().signal, secrets: stdinSecrets };
        return command.kind === 'check' ? await check(args, context) : await proxy({ ...args, ...(command.socket === undefined ? {} : { socket: command.socket }) }, context);
      }
      default:
        return assertNever(command);
    }
  } catch (e) {
    if (e instanceof UsageError) return usage(e, err);
    err.write(renderError(e));
    const code = errorCode(e);
    // A target or option the transport refused is a command-line mistake too.
    return code.startsWith('ERR_SSH_URL_') || code === 'ERR_INVALID_ARG' || code === 'ERR_STDIN' || code === 'ERR_DOCKER_CONTEXT' ? EXIT_USAGE : EXIT_FAILURE;
  } finally {
    clearInterval(keepAlive);
    ownSignal?.dispose();
    // The CLI kept the secrets for reconnects; nothing needs them now.
    for (const secret of secrets) secret.clear();
  }
}
