import { UrlError } from './errors.js';
import { FORBIDDEN_CHARS, HOST_NAME, isIPv6 } from './internal/chars.js';
import { percentDecode, percentEncode } from './internal/percent.js';
import { Secret } from './secret.js';

const inspectCustom = Symbol.for('nodejs.util.inspect.custom');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const encoder = new TextEncoder();

/** Longer input is refused before any other work: no real ssh URL comes near it. */
const MAX_URL_LENGTH = 8192;
/** RFC 1035 section 2.3.4: 255 octets on the wire, 253 characters in text. */
const MAX_HOST_LENGTH = 253;

/**
 * A parsed `ssh://[user[:password]@]host[:port][/ignored/path]` URL.
 *
 * Fields that the URL does not give are absent (not `undefined`), so that ssh_config and
 * defaults can supply them. Rendering it — `String()`, `JSON.stringify`, `util.inspect` — never
 * shows the password.
 */
export interface SshUrl {
  /** The host as typed: a name, an IPv4 address, or an IPv6 address without its brackets. */
  readonly host: string;
  /** The port, when the URL has one. */
  readonly port?: number;
  /** The user, percent-decoded, when the URL has one. */
  readonly user?: string;
  /** The password, percent-decoded, when the URL has one (and `allowPassword` was not false). */
  readonly password?: Secret;
  /**
   * A legacy socket path such as `/var/run/docker.sock` from `ssh://h///var/run/docker.sock`.
   * Reported so that callers can warn about it; never used: `docker system dial-stdio` finds the
   * remote socket itself, and a path from a URL must not reach a remote shell.
   */
  readonly ignoredSocketPath?: string;
  /** The URL with the password replaced by `[redacted]`. */
  toString(): string;
}

/** Options of {@link parseSshUrl}. */
export interface ParseSshUrlOptions {
  /**
   * Whether a password in the URL is accepted (default `true`, as the seeds' clients do).
   * `false` refuses it with `ERR_SSH_URL_PASSWORD`, as the docker CLI does.
   */
  readonly allowPassword?: boolean;
}

/** Options of {@link formatSshUrl}. */
export interface FormatSshUrlOptions {
  /** Write the password itself, percent-encoded (default `false`: write `[redacted]`). */
  readonly includePassword?: boolean;
}

/** The parts {@link formatSshUrl} writes: an {@link SshUrl}, or an object of the same shape. */
export type SshUrlParts = Pick<SshUrl, 'host' | 'port' | 'user' | 'password' | 'ignoredSocketPath'>;

class ParsedSshUrl implements SshUrl {
  declare readonly host: string;
  declare readonly port?: number;
  declare readonly user?: string;
  declare readonly password?: Secret;
  declare readonly ignoredSocketPath?: string;

  constructor(parts: SshUrlParts) {
    this.host = parts.host;
    if (parts.port !== undefined) this.port = parts.port;
    if (parts.user !== undefined) this.user = parts.user;
    if (parts.password !== undefined) this.password = parts.password;
    if (parts.ignoredSocketPath !== undefined) this.ignoredSocketPath = parts.ignoredSocketPath;
    Object.freeze(this);
  }

  toString(): string {
    return formatSshUrl(this);
  }

  /** An allowlist: the password is shown only as `[redacted]`. */
  toJSON(): Record<string, string | number> {
    const out: Record<string, string | number> = { host: this.host };
    if (this.port !== undefined) out['port'] = this.port;
    if (this.user !== undefined) out['user'] = this.user;
    if (this.password !== undefined) out['password'] = this.password.toJSON();
    if (this.ignoredSocketPath !== undefined) out['ignoredSocketPath'] = this.ignoredSocketPath;
    return out;
  }

  [inspectCustom](): string {
    return `SshUrl <${this.toString()}>`;
  }
}

function fail(code: ConstructorParameters<typeof UrlError>[0], message: string): never {
  throw new UrlError(code, message);
}

/** A user name as ssh receives it. `-` first would make `ssh` read it as an option (docker/cli does the same check). */
function checkUser(user: string): void {
  if (user === '') fail('ERR_SSH_URL_MALFORMED', 'ssh URL has an empty user name; write ssh://user@host, or leave out the @');
  if (FORBIDDEN_CHARS.test(user)) {
    fail('ERR_SSH_URL_CHARS', 'ssh URL user name contains whitespace or a control character after percent-decoding; remove it');
  }
  if (user.startsWith('-')) {
    fail('ERR_SSH_URL_INJECTION', "ssh URL user name must not start with '-': ssh would read it as an option");
  }
}

/** A host as typed, IPv6 without brackets. */
function checkHost(host: string, bracketed: boolean): void {
  if (host === '') fail('ERR_SSH_URL_HOST', 'ssh URL has an empty host; write ssh://[user@]host[:port]');
  if (host.startsWith('-')) fail('ERR_SSH_URL_INJECTION', "ssh URL host must not start with '-': ssh would read it as an option");
  if (bracketed || host.includes(':')) {
    if (!bracketed) fail('ERR_SSH_URL_HOST', 'ssh URL host is an IPv6 address without brackets; write it as ssh://[2001:db8::1]:22');
    if (!isIPv6(host)) fail('ERR_SSH_URL_HOST', 'ssh URL host in brackets is not a valid IPv6 address');
    return;
  }
  if (host.length > MAX_HOST_LENGTH) fail('ERR_SSH_URL_HOST', `ssh URL host is longer than ${MAX_HOST_LENGTH} characters`);
  if (!HOST_NAME.test(host)) {
    fail(
      'ERR_SSH_URL_HOST',
      "ssh URL host may contain only letters, digits, '.', '-' and '_'; write international names in punycode and IPv6 in brackets",
    );
  }
}

function parsePort(text: string): number {
  const rule = 'ssh URL port must be a number from 1 to 65535';
  if (text === '') fail('ERR_SSH_URL_PORT', `${rule}; write one after the ':' or leave out the ':'`);
  if (!/^\d{1,5}$/.test(text)) fail('ERR_SSH_URL_PORT', rule);
  const port = Number(text);
  if (port < 1 || port > 65535) fail('ERR_SSH_URL_PORT', rule);
  return port;
}

/**
 * Parses an `ssh://[user[:password]@]host[:port][/legacy/socket/path]` URL, the form of
 * `DOCKER_HOST=ssh://…`, and refuses anything that could be turned against `ssh` or the remote
 * shell: other schemes, a host or user starting with `-`, whitespace or control characters, a
 * query or fragment, a port outside 1–65535. A path is accepted for compatibility and reported as
 * `ignoredSocketPath`, never used.
 *
 * @throws {@link UrlError} with a stable `code`; its message names the rule, never the input.
 * @throws TypeError when `input` is not a string.
 *
 * @example
 * ```ts
 * import { parseSshUrl } from '@ssh-docker/url';
 *
 * const url = parseSshUrl('ssh://deploy@[2001:db8::7]:2222');
 * url.host;        // '2001:db8::7'
 * url.port;        // 2222
 * url.user;        // 'deploy'
 * String(parseSshUrl('ssh://ci:hunter2@build-1')); // 'ssh://ci:[redacted]@build-1'
 * ```
 */
export function parseSshUrl(input: string, options: ParseSshUrlOptions = {}): SshUrl {
  if (typeof input !== 'string') throw new TypeError('parseSshUrl() takes the URL as a string');
  if (input.length > MAX_URL_LENGTH) fail('ERR_SSH_URL_MALFORMED', `ssh URL is longer than ${MAX_URL_LENGTH} characters`);
  if (FORBIDDEN_CHARS.test(input)) {
    fail('ERR_SSH_URL_CHARS', 'ssh URL contains whitespace or a control character; remove it, or percent-encode it in a password');
  }

  // RFC 3986 section 3.1: the scheme is case-insensitive.
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(input);
  if (scheme === null) fail('ERR_SSH_URL_SCHEME', 'Docker host URL must start with ssh://; write ssh://[user@]host[:port]');
  if (scheme[1]?.toLowerCase() !== 'ssh') {
    fail('ERR_SSH_URL_SCHEME', 'only ssh:// URLs are supported: ssh-docker speaks SSH only; a unix://, tcp://, npipe:// or http(s):// Docker host needs no SSH, so point the Docker client (or the docker CLI) at it directly');
  }
  const afterScheme = input.slice(scheme[0].length);
  if (!afterScheme.startsWith('//')) fail('ERR_SSH_URL_MALFORMED', "ssh URL must have '//' after 'ssh:'; write ssh://[user@]host[:port]");
  const rest = afterScheme.slice(2);

  if (rest.includes('?') || rest.includes('#')) {
    fail('ERR_SSH_URL_QUERY', 'ssh URL must not have a query (?) or fragment (#); in a password write ? as %3F and # as %23');
  }

  // RFC 3986 section 3.2: the authority ends at the first '/'.
  const slash = rest.indexOf('/');
  const authority = slash >= 0 ? rest.slice(0, slash) : rest;
  const path = slash >= 0 ? rest.slice(slash) : '';
  if (path.includes('@')) {
    // The likeliest cause is an unencoded '/' in a password; reading on would misplace user and host.
    fail('ERR_SSH_URL_MALFORMED', "ssh URL has '@' after a '/'; in a user name or password write / as %2F and @ as %40");
  }

  // The last '@' ends the userinfo, so that an unencoded '@' in a password still parses (as Go's net/url does).
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;

  const parts: { -readonly [K in keyof SshUrlParts]: SshUrlParts[K] } = { host: '' };

  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    const rawUser = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    const rawPassword = colon >= 0 ? userinfo.slice(colon + 1) : undefined;
    if (rawPassword !== undefined && options.allowPassword === false) {
      fail('ERR_SSH_URL_PASSWORD', 'a password in the ssh URL is not allowed here; use an SSH key, ssh-agent, or pass the password separately');
    }
    const userBytes = percentDecode(rawUser);
    if (userBytes === null) fail('ERR_SSH_URL_MALFORMED', "ssh URL user name has a '%' not followed by two hex digits; write % as %25");
    let user: string;
    try {
      user = strictUtf8.decode(userBytes);
    } catch {
      fail('ERR_SSH_URL_CHARS', 'ssh URL user name is not valid UTF-8 after percent-decoding');
    }
    checkUser(user);
    parts.user = user;
    if (rawPassword !== undefined) {
      const passwordBytes = percentDecode(rawPassword);
      if (passwordBytes === null) fail('ERR_SSH_URL_MALFORMED', "ssh URL password has a '%' not followed by two hex digits; write % as %25");
      parts.password = Secret.from(passwordBytes);
      passwordBytes.fill(0);
    }
  }

  let rawHost: string;
  let rawPort: string | undefined;
  const bracketed = hostPort.startsWith('[');
  if (bracketed) {
    const close = hostPort.indexOf(']');
    if (close < 0) fail('ERR_SSH_URL_HOST', "ssh URL IPv6 address is missing its closing ']'");
    rawHost = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after !== '' && !after.startsWith(':')) fail('ERR_SSH_URL_MALFORMED', "only ':port' may follow the ']' of an IPv6 address");
    rawPort = after === '' ? undefined : after.slice(1);
    // RFC 6874: a zone identifier is written %25zone inside the brackets.
    rawHost = rawHost.replace(/%25/, '%');
  } else {
    if (hostPort.includes('[') || hostPort.includes(']')) {
      fail('ERR_SSH_URL_HOST', 'ssh URL may have brackets only around a whole IPv6 address, as in ssh://[::1]:22');
    }
    const colons = hostPort.split(':').length - 1;
    if (colons > 1) fail('ERR_SSH_URL_HOST', 'ssh URL host is an IPv6 address without brackets; write it as ssh://[2001:db8::1]:22');
    const colon = hostPort.indexOf(':');
    rawHost = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
    rawPort = colon >= 0 ? hostPort.slice(colon + 1) : undefined;
  }
  checkHost(rawHost, bracketed);
  parts.host = rawHost;
  if (rawPort !== undefined) parts.port = parsePort(rawPort);

  // A path of only slashes is a trailing slash, not a socket path.
  if (!/^\/*$/.test(path)) parts.ignoredSocketPath = path.replace(/^\/+/, '/');

  return new ParsedSshUrl(parts);
}

/**
 * Writes an `ssh://` URL from its parts: the inverse of {@link parseSshUrl}, so that
 * `parseSshUrl(formatSshUrl(url, { includePassword: true }))` gives back the same parts.
 * By default the password is written as `[redacted]`.
 *
 * @throws {@link UrlError} when the parts break a rule `parseSshUrl` enforces (a host or user
 * starting with `-`, a bad port), so that no unsafe URL is ever written.
 *
 * @example
 * ```ts
 * import { formatSshUrl, Secret } from '@ssh-docker/url';
 *
 * formatSshUrl({ host: '::1', port: 2222, user: 'u@corp' });     // 'ssh://u%40corp@[::1]:2222'
 * formatSshUrl({ host: 'h', user: 'u', password: Secret.from('p w') }, { includePassword: true });
 * // 'ssh://u:p%20w@h'
 * ```
 */
export function formatSshUrl(url: SshUrlParts, options: FormatSshUrlOptions = {}): string {
  const bracketed = url.host.includes(':');
  checkHost(url.host, bracketed);
  let out = 'ssh://';
  if (url.user !== undefined) {
    checkUser(url.user);
    out += percentEncode(encoder.encode(url.user));
    if (url.password !== undefined) {
      out += ':';
      out += options.includePassword === true ? url.password.use((bytes) => percentEncode(bytes)) : url.password.toString();
    }
    out += '@';
  } else if (url.password !== undefined) {
    throw new TypeError('formatSshUrl() needs a user to write a password');
  }
  out += bracketed ? `[${url.host.replace('%', '%25')}]` : url.host;
  if (url.port !== undefined) out += `:${parsePort(String(url.port))}`;
  if (url.ignoredSocketPath !== undefined) {
    const path = url.ignoredSocketPath;
    if (!path.startsWith('/') || /[?#@]/.test(path) || FORBIDDEN_CHARS.test(path)) {
      throw new TypeError("formatSshUrl() takes an ignoredSocketPath that starts with '/' and has no ?, # or @");
    }
    out += path;
  }
  return out;
}
