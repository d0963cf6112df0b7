/**
 * Header hygiene: which headers are credentials, refusing header text Node would echo back in its
 * own errors, and removing credentials from text that came back from the daemon.
 */

/** Header names that always carry a credential, plus any name that looks like one. */
const CREDENTIAL_NAMES = new Set(['authorization', 'proxy-authorization', 'x-registry-auth', 'x-registry-config', 'cookie', 'set-cookie']);
const CREDENTIAL_PATTERN = /auth|token|secret|password|cookie/i;

/** True when a header with this name may hold a credential and must never be logged or quoted. */
export function isCredentialHeader(name: string): boolean {
  return CREDENTIAL_NAMES.has(name.toLowerCase()) || CREDENTIAL_PATTERN.test(name);
}

// RFC 9110 §5.1: field-name = token; §5.5: field-value is VCHAR / obs-text / SP / HTAB.
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
 
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A header value as callers may give it. */
export type HeaderValue = string | number | readonly string[];

/**
 * Checks names and values before Node sees them: Node's own `ERR_INVALID_CHAR` and
 * `ERR_HTTP_INVALID_HEADER_VALUE` messages quote the value, which may be a credential.
 * Throws a TypeError that names the header and the rule, never the value.
 */
export function validateHeaders(headers: Readonly<Record<string, HeaderValue | undefined>>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (!TOKEN.test(name)) throw new TypeError('a header name must be an RFC 9110 token; remove spaces, colons and control characters from it');
    const values = typeof value === 'string' ? [value] : typeof value === 'number' ? [String(value)] : [...value];
    for (const v of values) {
      if (typeof v !== 'string' || !FIELD_VALUE.test(v)) {
        throw new TypeError(`header ${name} has a character that is not allowed in a field value (CR, LF, NUL or another control); remove it`);
      }
    }
    out[name] = typeof value === 'string' || typeof value === 'number' ? String(value) : values;
  }
  return out;
}


/** HTTP authentication schemes (IANA's registry, and the common `Token`): public words, not credentials. */
const AUTH_SCHEMES = new Set(['basic', 'bearer', 'digest', 'hoba', 'mutual', 'negotiate', 'ntlm', 'oauth', 'scram-sha-1', 'scram-sha-256', 'vapid', 'token', 'aws4-hmac-sha256']);

/**
 * The texts to remove from anything the daemon says back: every credential header value, and for
 * Docker's base64url JSON auth headers, every string field inside them (password, identitytoken, ...).
 */
export function credentialTexts(headers: Readonly<Record<string, string | string[]>>): string[] {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(headers)) {
    if (!isCredentialHeader(name)) continue;
    for (const v of typeof value === 'string' ? [value] : value) {
      addSecret(out, v);
      // "Basic xxx", "Bearer xxx": the token alone may be echoed too. The scheme's name is no secret:
      // taken as one, every daemon line with the word "Basic" or "Bearer" in it would be withheld.
      const parts = v.trim().split(/\s+/);
      for (const part of parts.length > 1 && AUTH_SCHEMES.has((parts[0] ?? '').toLowerCase()) ? parts.slice(1) : parts) addSecret(out, part);
      for (const inner of decodedStrings(v)) addSecret(out, inner);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

function addSecret(out: Set<string>, text: string): void {
  if (text.length > 0) out.add(text);
}

/**
 * Docker's auth headers are base64url (or base64) JSON, or plain JSON from some callers; Basic auth
 * is base64 `user:pass`. Returns the secrets inside.
 */
function decodedStrings(value: string): string[] {
  const found: string[] = [];
  const trimmed = value.trim();
  if (trimmed.startsWith('{')) {
    try {
      collectSecretFields(JSON.parse(trimmed), found);
    } catch {
      // Not JSON after all: the value itself is the secret.
    }
  }
  for (const part of value.split(/\s+/)) {
    if (!/^[A-Za-z0-9+/_-]+=*$/.test(part)) continue;
    const text = Buffer.from(part, 'base64url').toString('utf8');
    try {
      collectSecretFields(JSON.parse(text), found);
    } catch {
      const password = basicPassword(text);
      if (password !== undefined) found.push(password);
    }
  }
  return found;
}

/** Basic auth: "user:password"; the user name is not a secret, the password is. */
function basicPassword(text: string): string | undefined {
  const colon = text.indexOf(':');
  return colon === -1 ? undefined : text.slice(colon + 1);
}

/** Docker auth config fields that hold secrets: password, auth, identitytoken, registrytoken. */
const SECRET_FIELD = /pass|auth|token|secret|key/i;

function collectSecretFields(value: unknown, into: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectSecretFields(v, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && SECRET_FIELD.test(key)) {
        into.push(v);
        // `auth` is base64 "user:password": the daemon decodes it, and may say the password alone.
        if (/^[A-Za-z0-9+/_-]+=*$/.test(v)) {
          const password = basicPassword(Buffer.from(v, 'base64url').toString('utf8'));
          if (password !== undefined && password !== '') into.push(password);
        }
      }
      // X-Registry-Config maps registry names to auth configs.
      else if (typeof v === 'object') collectSecretFields(v, into);
    }
  }
}

/** The credentials of the request each response body (or hijacked stream) answers, for {@link demux}'s error frames. */
const SECRETS_OF = new WeakMap<object, readonly string[]>();

/** Remembers that `stream` answers a request that carried `secrets`. */
export function rememberSecrets(stream: object, secrets: readonly string[]): void {
  if (secrets.length > 0) SECRETS_OF.set(stream, secrets);
}

/** The credentials of the request `stream` answers, when it came from a {@link DockerClient}. */
export function secretsOf(stream: object): readonly string[] {
  return SECRETS_OF.get(stream) ?? [];
}

/**
 * What the daemon said, with every line that holds a credential of the request withheld whole. A
 * daemon (or a registry behind it) may echo a credential in another form than it was sent: raw,
 * JSON-escaped, percent-encoded, or inside base64 (`user:pass`, an auth JSON). Each line is read
 * in those forms, nested once, and searched. The line is withheld, not the credential masked in
 * place: masks inside ordinary words would tell a short credential's letters by their shape.
 */
export function scrub(text: string, secrets: readonly string[]): string {
  if (secrets.length === 0) return text;
  const holds = (value: string): boolean => readings(value, 1).some((reading) => secrets.some((secret) => reading.includes(secret)));
  const marker = WITHHELD_MARKERS.find((candidate) => !holds(candidate)) ?? '';
  const parts = text.split(/(\r\n|\n|\r)/);
  for (let i = 0; i < parts.length; i += 2) if (holds(parts[i] ?? '')) parts[i] = marker;
  const out = parts.join('');
  // A credential that spans lines is caught here: all is withheld.
  return holds(out) ? marker : out;
}

const WITHHELD_MARKERS = ['[withheld: it held a credential of the request]', '[withheld]', '[…]'];

/** How many times the escapes of text (JSON, percent, form, HTML) are undone in turn: JSON inside JSON, a URL inside a URL. */
const UNESCAPE_ROUNDS = 3;
const UNESCAPES: readonly ((text: string) => string)[] = [jsonUnescape, percentDecode, (text) => percentDecode(text.replace(/\+/g, ' ')), htmlUnescape];

/** `text` with every combination of up to {@link UNESCAPE_ROUNDS} unescapes applied, itself included. */
function unescapings(text: string): Set<string> {
  const out = new Set([text]);
  let round = [text];
  for (let i = 0; i < UNESCAPE_ROUNDS && round.length > 0; i++) {
    const next: string[] = [];
    for (const value of round) {
      for (const unescape of UNESCAPES) {
        const decoded = unescape(value);
        if (!out.has(decoded)) {
          out.add(decoded);
          next.push(decoded);
        }
      }
    }
    round = next;
  }
  return out;
}

/** `text` as itself and unescaped (see {@link unescapings}), plus what its base64-looking words decode to (read again, `depth` times). */
function readings(text: string, depth: number): string[] {
  const out = unescapings(text);
  if (depth > 0) {
    for (const reading of [...out]) {
      for (const word of reading.match(/[A-Za-z0-9+/_-]{4,}={0,2}/g) ?? []) {
        const decoded = Buffer.from(word, 'base64url').toString('utf8');
        if (decoded !== '') for (const inner of readings(decoded, depth - 1)) out.add(inner);
      }
    }
  }
  return [...out];
}

const HTML_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

/** HTML character references (`&lt;`, `&#60;`, `&#x3c;`), as an error page of a registry or proxy writes them. */
function htmlUnescape(text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));/g, (whole, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    const code = dec !== undefined ? Number.parseInt(dec, 10) : hex !== undefined ? Number.parseInt(hex, 16) : undefined;
    if (code !== undefined) return code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    return HTML_ENTITIES[(name ?? '').toLowerCase()] ?? whole;
  });
}

const JSON_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function jsonUnescape(text: string): string {
  return text.replace(/\\(?:u([0-9a-fA-F]{4})|(["\\/bfnrt]))/g, (_, hex: string | undefined, ch: string | undefined) =>
    hex === undefined ? (JSON_ESCAPES[ch ?? ''] ?? '') : String.fromCharCode(Number.parseInt(hex, 16)),
  );
}

/** Percent-decoding that never throws: each run of `%XX` is decoded as UTF-8 on its own, an invalid run left as it is. */
function percentDecode(text: string): string {
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
