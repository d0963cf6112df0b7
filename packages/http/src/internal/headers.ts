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

const MIN_SECRET_LENGTH = 4;

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
      // "Basic xxx", "Bearer xxx": the token alone may be echoed too.
      for (const part of v.split(/\s+/)) addSecret(out, part);
      for (const inner of decodedStrings(v)) addSecret(out, inner);
    }
  }
  return [...out].sort((a, b) => b.length - a.length);
}

function addSecret(out: Set<string>, text: string): void {
  if (text.length >= MIN_SECRET_LENGTH) out.add(text);
}

/** Docker's auth headers are base64url (or base64) JSON; Basic auth is base64 `user:pass`. Returns the secrets inside. */
function decodedStrings(value: string): string[] {
  const found: string[] = [];
  for (const part of value.split(/\s+/)) {
    if (!/^[A-Za-z0-9+/_-]+=*$/.test(part)) continue;
    const text = Buffer.from(part, 'base64url').toString('utf8');
    try {
      collectSecretFields(JSON.parse(text), found);
    } catch {
      // Basic auth: "user:password"; the user name is not a secret, the password is.
      const colon = text.indexOf(':');
      if (colon !== -1) found.push(text.slice(colon + 1));
    }
  }
  return found;
}

/** Docker auth config fields that hold secrets: password, auth, identitytoken, registrytoken. */
const SECRET_FIELD = /pass|auth|token|secret|key/i;

function collectSecretFields(value: unknown, into: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectSecretFields(v, into);
  } else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (typeof v === 'string' && SECRET_FIELD.test(key)) into.push(v);
      // X-Registry-Config maps registry names to auth configs.
      else if (typeof v === 'object') collectSecretFields(v, into);
    }
  }
}

/** Replaces every listed secret in `text` with `[redacted]`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}
