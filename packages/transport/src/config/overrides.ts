/**
 * Explicit overrides turned into the `-o`-style lines ssh processes before any config file, so
 * that they are checked exactly like config lines and win by "first obtained value wins".
 */

/**
 * Explicit settings; they win over the URL and over every config file (ssh's `-o`), and are
 * checked like config lines (a bad value is ERR_SSH_CONFIG from "overrides:0"; a wrong type is a
 * TypeError).
 *
 * @example
 * ```ts
 * const t = await resolveSshTarget('ssh://build-box', {
 *   overrides: { user: 'ci', identityfile: ['/run/secrets/ci_key'], stricthostkeychecking: 'yes' },
 * });
 * ```
 */
export interface SshConfigOverrides {
  readonly hostname?: string;
  readonly port?: number;
  readonly user?: string;
  /** Added before the config's identity files (they accumulate). */
  readonly identityfile?: readonly string[];
  readonly certificatefile?: readonly string[];
  readonly userknownhostsfile?: readonly string[];
  readonly globalknownhostsfile?: readonly string[];
  readonly stricthostkeychecking?: 'yes' | 'no' | 'ask' | 'accept-new' | 'true' | 'false' | 'off';
  readonly hostkeyalias?: string;
  /** `none` disables a configured ProxyJump. */
  readonly proxyjump?: string;
  /** `none` disables a configured ProxyCommand. */
  readonly proxycommand?: string;
  readonly identityagent?: string;
  readonly identitiesonly?: boolean;
  readonly forwardagent?: boolean | string;
  readonly batchmode?: boolean;
  readonly compression?: boolean;
  readonly addressfamily?: 'any' | 'inet' | 'inet6';
  /** Seconds. */
  readonly serveraliveinterval?: number;
  readonly serveralivecountmax?: number;
  /** Seconds. */
  readonly connecttimeout?: number;
  readonly preferredauthentications?: string;
  readonly hostkeyalgorithms?: string;
}

/** Overrides given as one quoted string argument. */
const STRING_OVERRIDES: ReadonlySet<string> = new Set(['hostname', 'user', 'hostkeyalias', 'identityagent', 'preferredauthentications', 'hostkeyalgorithms', 'stricthostkeychecking', 'addressfamily']);

/**
 * One config line per override. Values are quoted for argv_split() (so spaces and quotes survive);
 * ProxyCommand and ProxyJump are read raw by ssh and go unquoted. Wrong types are caller mistakes:
 * TypeError.
 */
export function overrideLines(o: SshConfigOverrides): string[] {
  const lines: string[] = [];
  const quote = (v: string): string => `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  const check = (key: string, v: string): string => {
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f]/.test(v)) throw new TypeError(`overrides.${key} must not contain control characters`);
    return v;
  };
  const yesNo = (b: boolean): string => (b ? 'yes' : 'no');
  for (const [key, value] of Object.entries(o) as [string, unknown][]) {
    if (value === undefined) continue;
    switch (key) {
      case 'identityfile':
      case 'certificatefile':
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new TypeError(`overrides.${key} must be an array of strings`);
        for (const v of value) lines.push(`${key} ${quote(check(key, v))}`);
        break;
      case 'userknownhostsfile':
      case 'globalknownhostsfile':
        if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string')) throw new TypeError(`overrides.${key} must be a non-empty array of strings`);
        lines.push(`${key} ${value.map((v) => quote(check(key, v))).join(' ')}`);
        break;
      case 'port':
      case 'serveraliveinterval':
      case 'serveralivecountmax':
      case 'connecttimeout':
        if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) throw new TypeError(`overrides.${key} must be a non-negative integer`);
        lines.push(`${key} ${value}`);
        break;
      case 'identitiesonly':
      case 'batchmode':
      case 'compression':
        if (typeof value !== 'boolean') throw new TypeError(`overrides.${key} must be a boolean`);
        lines.push(`${key} ${yesNo(value)}`);
        break;
      case 'forwardagent':
        if (typeof value === 'boolean') lines.push(`${key} ${yesNo(value)}`);
        else if (typeof value === 'string') lines.push(`${key} ${quote(check(key, value))}`);
        else throw new TypeError('overrides.forwardagent must be a boolean or a path');
        break;
      case 'proxycommand':
      case 'proxyjump':
        // These two are read from the raw line by ssh: no quoting.
        if (typeof value !== 'string' || value.trim() === '') throw new TypeError(`overrides.${key} must be a non-empty string`);
        lines.push(`${key} ${check(key, value)}`);
        break;
      default:
        if (typeof value !== 'string' || value === '') throw new TypeError(`overrides.${key} must be a non-empty string`);
        if (!STRING_OVERRIDES.has(key)) throw new TypeError(`overrides.${key} is not a supported setting`);
        lines.push(`${key} ${quote(check(key, value))}`);
    }
  }
  return lines;
}
