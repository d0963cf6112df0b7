import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { CommandName } from './usage-error.js';
import { UsageError } from './usage-error.js';

/**
 * What the ssh-style options of the command line ask of the transport: the subset of
 * `DockerSshTransportOptions` that ssh itself has a flag or an `-o` key for.
 */
export interface SshCliOptions {
  configFile?: string | false;
  user?: string;
  port?: number;
  identityFiles: string[];
  agent?: string | false;
  hostKeyPolicy?: 'strict' | 'accept-new';
  knownHostsFiles?: string[];
  connectTimeoutMs?: number;
  keepaliveIntervalMs?: number;
  keepaliveCountMax?: number;
  family?: 4 | 6;
  proxyJump?: string | false;
}

/** Where `~` and relative paths point, and the environment `IdentityAgent SSH_AUTH_SOCK` reads. */
export interface SshOptionContext {
  readonly homeDir: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly command: CommandName;
}

/** The `-o` keys understood, as ssh_config(5) spells them; matched without regard to case, as ssh does. */
export const SUPPORTED_O_KEYS = [
  'StrictHostKeyChecking',
  'UserKnownHostsFile',
  'IdentityFile',
  'IdentityAgent',
  'Port',
  'User',
  'ConnectTimeout',
  'ServerAliveInterval',
  'ServerAliveCountMax',
  'ProxyJump',
  'AddressFamily',
  'BatchMode',
] as const;

type OKey = (typeof SUPPORTED_O_KEYS)[number];
const O_KEYS = new Map<string, OKey>(SUPPORTED_O_KEYS.map((key) => [key.toLowerCase(), key]));

/** A user name as ssh takes it: not an option (`-…`), no whitespace or control characters. */
const USER = /^[^-\s\p{Cc}][^\s\p{Cc}]{0,255}$/u;

function expandPath(path: string, context: SshOptionContext): string {
  // ssh_config(5) TOKENS: `~` is the user's home directory. Relative paths are taken from the
  // current directory, as ssh does for -i and -F.
  const expanded = path === '~' ? context.homeDir : path.startsWith('~/') ? `${context.homeDir}${path.slice(1)}` : path;
  return isAbsolute(expanded) ? expanded : resolvePath(context.cwd, expanded);
}

function port(label: string, value: string, command: CommandName): number {
  if (!/^[0-9]{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535) {
    throw new UsageError(`${label} must be a port number from 1 to 65535`, command);
  }
  return Number(value);
}

function wholeNumber(label: string, value: string, min: number, rule: string, command: CommandName): number {
  if (!/^[0-9]{1,9}$/.test(value) || Number(value) < min) throw new UsageError(`${label} must be ${rule}`, command);
  return Number(value);
}

function user(label: string, value: string, command: CommandName): string {
  if (!USER.test(value)) throw new UsageError(`${label} must be a user name that does not start with '-' and has no spaces`, command);
  return value;
}

/** Whitespace-separated words, a double-quoted one kept whole (ssh_config(5) quoting). */
function words(value: string): string[] {
  return [...value.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '').filter((w) => w !== '');
}

function yesNo(value: string): string {
  return value.toLowerCase();
}

/**
 * Collects ssh-style options in the order they were given. As with ssh, the first value given for
 * a setting wins (`-p 2222 -o Port=22` connects to 2222), and identity files add up.
 */
export class SshOptionCollector {
  readonly options: SshCliOptions = { identityFiles: [] };
  /** Notes for stderr, such as how a weaker setting was taken. */
  readonly warnings: string[] = [];
  readonly #context: SshOptionContext;

  constructor(context: SshOptionContext) {
    this.#context = context;
  }

  #once<K extends keyof SshCliOptions>(key: K, value: SshCliOptions[K]): void {
    if (this.options[key] === undefined) this.options[key] = value;
  }

  /** One of `-i -F -p -l -J -o -4 -6`, by its letter, with its value (`''` for the flags). */
  add(letter: string, value: string): void {
    const { command } = this.#context;
    switch (letter) {
      case 'i':
        if (value === '') throw new UsageError('-i needs an identity file', command);
        this.options.identityFiles.push(expandPath(value, this.#context));
        return;
      case 'F':
        if (value === '') throw new UsageError("-F needs an ssh_config file, or 'none'", command);
        this.#once('configFile', value.toLowerCase() === 'none' ? false : expandPath(value, this.#context));
        return;
      case 'p':
        this.#once('port', port('-p', value, command));
        return;
      case 'l':
        this.#once('user', user('-l', value, command));
        return;
      case 'J':
        this.#jump('-J', value);
        return;
      case '4':
        this.#once('family', 4);
        return;
      case '6':
        this.#once('family', 6);
        return;
      case 'o':
        this.#option(value);
        return;
      default:
        throw new UsageError(`-${letter} is not an ssh option ssh-docker takes`, command);
    }
  }

  #jump(label: string, value: string): void {
    if (value === '') throw new UsageError(`${label} needs [user@]host[:port][,…], or 'none'`, this.#context.command);
    // The transport validates each hop; a hop that looks like an option is refused here already.
    if (value.split(',').some((hop) => hop.trim().startsWith('-') || /[\s\p{Cc}]/u.test(hop.trim()))) {
      throw new UsageError(`${label} hops must be [user@]host[:port] without spaces, none starting with '-'`, this.#context.command);
    }
    this.#once('proxyJump', value.toLowerCase() === 'none' ? false : value);
  }

  /** `-o Key=Value` or `-o "Key Value"`, as ssh(1) takes them. */
  #option(text: string): void {
    const { command } = this.#context;
    const match = /^\s*([A-Za-z]{1,40})\s*(?:=\s*|\s+)(.*)$/su.exec(text);
    if (match === null) {
      // Do not echo: a mistyped -o may hold anything, even a secret.
      const alone = O_KEYS.get(text.trim().toLowerCase());
      if (alone !== undefined) throw new UsageError(`-o ${alone} needs a value: -o ${alone}=VALUE`, command);
      throw new UsageError('-o takes Key=Value, such as -o StrictHostKeyChecking=accept-new', command);
    }
    const [, rawKey = '', rawValue = ''] = match;
    const key = O_KEYS.get(rawKey.toLowerCase());
    if (key === undefined) {
      throw new UsageError(`-o ${rawKey} is not supported; the supported keys are ${SUPPORTED_O_KEYS.join(', ')}`, command);
    }
    const raw = rawValue.trim();
    const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    if (value === '') throw new UsageError(`-o ${key} needs a value`, command);
    const label = `-o ${key}`;
    switch (key) {
      case 'StrictHostKeyChecking': {
        const v = yesNo(value);
        if (v === 'yes' || v === 'ask' || v === 'true') this.#once('hostKeyPolicy', 'strict');
        else if (v === 'accept-new') this.#once('hostKeyPolicy', 'accept-new');
        else if (v === 'no' || v === 'off' || v === 'false') {
          // ssh would still connect to a changed key with `no`; ssh-docker never goes below accept-new.
          if (this.options.hostKeyPolicy === undefined) this.warnings.push('StrictHostKeyChecking=no is taken as accept-new: unknown hosts are added, a changed key still refuses');
          this.#once('hostKeyPolicy', 'accept-new');
        } else throw new UsageError(`${label} must be yes, accept-new, no or ask`, command);
        return;
      }
      case 'UserKnownHostsFile': {
        // ssh_config(5): several files separated by whitespace; `none` for no file.
        const files = words(raw);
        this.#once('knownHostsFiles', files.length === 1 && files[0]?.toLowerCase() === 'none' ? [] : files.map((f) => expandPath(f, this.#context)));
        return;
      }
      case 'IdentityFile':
        if (value.toLowerCase() !== 'none') this.options.identityFiles.push(expandPath(value, this.#context));
        return;
      case 'IdentityAgent': {
        const v = value.toLowerCase();
        if (v === 'none') this.#once('agent', false);
        else if (value === 'SSH_AUTH_SOCK') {
          const sock = this.#context.env['SSH_AUTH_SOCK'];
          this.#once('agent', sock === undefined || sock === '' ? false : sock);
        } else this.#once('agent', expandPath(value, this.#context));
        return;
      }
      case 'Port':
        this.#once('port', port(label, value, command));
        return;
      case 'User':
        this.#once('user', user(label, value, command));
        return;
      case 'ConnectTimeout':
        this.#once('connectTimeoutMs', wholeNumber(label, value, 1, 'a whole number of seconds, at least 1', command) * 1000);
        return;
      case 'ServerAliveInterval':
        this.#once('keepaliveIntervalMs', wholeNumber(label, value, 0, 'a whole number of seconds (0 turns keepalives off)', command) * 1000);
        return;
      case 'ServerAliveCountMax':
        this.#once('keepaliveCountMax', wholeNumber(label, value, 1, 'a whole number, at least 1', command));
        return;
      case 'ProxyJump':
        this.#jump(label, value);
        return;
      case 'AddressFamily': {
        const v = yesNo(value);
        if (v === 'inet') this.#once('family', 4);
        else if (v === 'inet6') this.#once('family', 6);
        else if (v !== 'any') throw new UsageError(`${label} must be any, inet or inet6`, command);
        return;
      }
      case 'BatchMode': {
        // ssh-docker never prompts: batch mode is what it always does.
        const v = yesNo(value);
        if (v !== 'yes' && v !== 'no') throw new UsageError(`${label} must be yes or no`, command);
        return;
      }
    }
  }
}
