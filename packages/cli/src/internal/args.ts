import { parseArgs } from 'node:util';
import type { SshCliOptions, SshOptionContext } from './ssh-options.js';
import { SshOptionCollector } from './ssh-options.js';
import type { CommandName } from './usage-error.js';
import { UsageError } from './usage-error.js';

/** What `check` and `proxy` share: the target, the ssh options and where secrets come from. */
export interface ConnectArgs {
  /** The target once resolved (see `resolveTarget`): an `ssh://` URL or an ssh_config alias. */
  readonly target: string;
  readonly ssh: SshCliOptions;
  readonly warnings: readonly string[];
  readonly passwordStdin: boolean;
  readonly passphraseStdin: boolean;
  /** The remote daemon's socket, when not the docker CLI's default. */
  readonly remoteSocket?: string;
  /** Reach `remoteSocket` by a direct-streamlocal channel instead of the remote docker CLI. */
  readonly streamlocal: boolean;
}

/** `check`/`proxy` arguments as typed: the target may be absent, or be a Docker context's name. */
export type ParsedConnectArgs = Omit<ConnectArgs, 'target'> & {
  /** As typed; absent when none was given (the Docker environment then names it). */
  readonly target?: string;
  /** `--context NAME`: a Docker context, as the docker CLI's `--context`. */
  readonly context?: string;
};

/** The command line, understood. */
export type CommandLine =
  | { readonly kind: 'help'; readonly command: CommandName | undefined }
  | { readonly kind: 'version' }
  | ({ readonly kind: 'check' } & ParsedConnectArgs)
  | ({ readonly kind: 'proxy'; readonly socket?: string; readonly printEnv?: boolean } & ParsedConnectArgs)
  | { readonly kind: 'demo' };

const COMMANDS: readonly CommandName[] = ['check', 'proxy', 'demo'];

/** ssh's short options, under long names of their own; the letter is what ssh users type. */
const SSH_OPTIONS = {
  identity: { type: 'string', short: 'i', multiple: true },
  config: { type: 'string', short: 'F' },
  port: { type: 'string', short: 'p' },
  login: { type: 'string', short: 'l' },
  jump: { type: 'string', short: 'J' },
  option: { type: 'string', short: 'o', multiple: true },
  ipv4: { type: 'boolean', short: '4' },
  ipv6: { type: 'boolean', short: '6' },
} as const;

const LETTER: Readonly<Record<string, string>> = { identity: 'i', config: 'F', port: 'p', login: 'l', jump: 'J', option: 'o', ipv4: '4', ipv6: '6' };

const CONNECT_OPTIONS = {
  ...SSH_OPTIONS,
  'password-stdin': { type: 'boolean' },
  'passphrase-stdin': { type: 'boolean' },
  'remote-socket': { type: 'string' },
  streamlocal: { type: 'boolean' },
  context: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const PROXY_OPTIONS = { ...CONNECT_OPTIONS, socket: { type: 'string' }, 'print-env': { type: 'boolean' } } as const;

/** `-h`/`--help` anywhere before `--` asks for help, whatever else is wrong on the line. */
function wantsHelp(args: readonly string[]): boolean {
  for (const arg of args) {
    if (arg === '--') return false;
    if (arg === '-h' || arg === '--help') return true;
  }
  return false;
}

/**
 * Turns node:util's parse errors into ours. Its messages quote what was typed; an option typed
 * as `--password=…` would carry the value, so only a bare option name is ever repeated.
 */
function usageFrom(err: unknown, command: CommandName): UsageError {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : '';
  const name = /'(-{1,2}[A-Za-z0-9][A-Za-z0-9-]{0,40})[=' ,]/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    if (name !== undefined && /^--?pass(word|phrase)?$/.test(name)) {
      return new UsageError(`${name} is not an option: a password is read only from stdin, with --password-stdin (a passphrase with --passphrase-stdin)`, command);
    }
    return new UsageError(name === undefined ? 'unknown option' : `unknown option ${name}`, command);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new UsageError(name === undefined ? 'an option is missing its value' : `${name} needs a value`, command);
  }
  return new UsageError('the command line could not be read', command);
}

function targetOf(positionals: readonly string[], command: CommandName): string | undefined {
  if (positionals.length === 0) return undefined;
  if (positionals.length > 1) throw new UsageError(`${command} takes one target; options go before or after it`, command);
  const target = positionals[0] ?? '';
  if (target === '') throw new UsageError(`${command} needs a target: ssh://[user@]host[:port], a Host alias from ssh_config or a Docker context`, command);
  return target;
}

function connectArgs(command: 'check' | 'proxy', args: readonly string[], context: Omit<SshOptionContext, 'command'>): CommandLine {
  let parsed;
  try {
    parsed = parseArgs({ args: [...args], options: command === 'proxy' ? PROXY_OPTIONS : CONNECT_OPTIONS, allowPositionals: true, strict: true, tokens: true });
  } catch (err) {
    throw usageFrom(err, command);
  }
  const collector = new SshOptionCollector({ ...context, command });
  // In the order given: for ssh the first value of a setting wins.
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const letter = LETTER[token.name];
    if (letter !== undefined) collector.add(letter, token.value ?? '');
  }
  const { values } = parsed;
  const target = targetOf(parsed.positionals, command);
  const dockerContext = values.context;
  if (dockerContext === '') throw new UsageError('--context needs a Docker context name', command);
  if (dockerContext !== undefined && target !== undefined) throw new UsageError('give either a target or --context, not both', command);
  const remoteSocket = values['remote-socket'];
  const streamlocal = values.streamlocal === true;
  if (streamlocal && remoteSocket === undefined) throw new UsageError('--streamlocal needs --remote-socket PATH (the daemon socket on the remote host)', command);
  const common: ParsedConnectArgs = {
    ...(target === undefined ? {} : { target }),
    ...(dockerContext === undefined ? {} : { context: dockerContext }),
    ssh: collector.options,
    warnings: collector.warnings,
    passwordStdin: values['password-stdin'] === true,
    passphraseStdin: values['passphrase-stdin'] === true,
    ...(remoteSocket === undefined ? {} : { remoteSocket }),
    streamlocal,
  };
  if (command === 'check') return { kind: 'check', ...common };
  const socket = 'socket' in values && typeof values.socket === 'string' ? values.socket : undefined;
  if (socket === '') throw new UsageError('--socket needs a path', command);
  const printEnv = 'print-env' in values && values['print-env'] === true;
  // The background proxy reconnects on its own: it cannot read stdin again for a secret.
  if (printEnv && (common.passwordStdin || common.passphraseStdin)) {
    throw new UsageError('--print-env cannot be combined with --password-stdin or --passphrase-stdin: use a key without a passphrase, or ssh-agent', command);
  }
  return { kind: 'proxy', ...common, ...(socket === undefined ? {} : { socket }), ...(printEnv ? { printEnv } : {}) };
}

/**
 * Reads `argv` (without the node and script paths).
 *
 * @throws UsageError for anything `ssh-docker` does not take.
 */
export function parseCommandLine(argv: readonly string[], context: Omit<SshOptionContext, 'command'>): CommandLine {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('a command is needed: check, proxy or demo');
  if (first === '-h' || first === '--help') return { kind: 'help', command: undefined };
  if (first === '-V' || first === '--version') return { kind: 'version' };
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return { kind: 'help', command: undefined };
    const command = COMMANDS.find((c) => c === topic);
    if (command === undefined) throw new UsageError('help takes one of: check, proxy, demo');
    return { kind: 'help', command };
  }
  const command = COMMANDS.find((c) => c === first);
  if (command === undefined) {
    throw new UsageError(first.startsWith('-') ? 'options go after the command: ssh-docker check|proxy|demo [options]' : 'unknown command; the commands are check, proxy and demo');
  }
  if (wantsHelp(rest)) return { kind: 'help', command };
  if (command === 'demo') {
    if (rest.length > 0) throw new UsageError('demo takes no arguments', 'demo');
    return { kind: 'demo' };
  }
  return connectArgs(command, rest, context);
}
