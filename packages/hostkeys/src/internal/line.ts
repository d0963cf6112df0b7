/**
 * One known_hosts line, read the way OpenSSH's hostfile.c `hostkeys_foreach_file` and
 * sshkey.c `sshkey_read` read it. Anything they reject becomes a reason string here; the caller
 * keeps it as a warning and skips the line, so it never counts as a changed key.
 */
import { createHmac } from 'node:crypto';
import { decodeBase64Strict } from './base64.js';
import { compilePatterns, toBytes, type CompiledPatterns } from './match.js';
import { decodeKeyBlob, plainTypeForName, type DecodedKey } from './wire.js';

export type Marker = 'revoked' | 'cert-authority' | null;

export interface HashedName {
  readonly salt: Buffer;
  /** The HMAC part of the field when its salt is written canonically, else null (it can never match). */
  readonly digest: string | null;
}

export interface ParsedEntry {
  readonly kind: 'entry';
  readonly marker: Marker;
  /** The host field, split and lower-cased, when not hashed. */
  readonly patterns: CompiledPatterns | null;
  readonly hashed: HashedName | null;
  readonly key: DecodedKey;
  /** The key-type field as written (it may be an alias such as rsa-sha2-512). */
  readonly writtenType: string;
}

export interface SkippedLine {
  readonly kind: 'skip';
}

export interface InvalidLine {
  readonly kind: 'invalid';
  readonly reason: string;
}

const isBlank = (c: string | undefined): boolean => c === ' ' || c === '\t';

function skipBlanks(s: string, i: number): number {
  while (isBlank(s[i])) i++;
  return i;
}

/** hostfile.h: HASH_MAGIC "|1|", HASH_DELIM '|'. */
const HASH_MAGIC = '|1|';
/** The salt is one SHA-1 HMAC block: ssh_hmac_bytes(SSH_DIGEST_SHA1) = 20 bytes. */
const SALT_BYTES = 20;

/** hostfile.c `extract_salt`: "|1|" + base64(20-byte salt) + "|" …; anything else is a bad line. */
function parseHashed(field: string): HashedName | undefined {
  if (!field.startsWith(HASH_MAGIC)) return undefined;
  const rest = field.slice(HASH_MAGIC.length);
  const delim = rest.indexOf('|');
  if (delim === -1) return undefined;
  const b64 = rest.slice(0, delim);
  if (b64.length === 0 || b64.length > 1024) return undefined;
  const salt = decodeBase64Strict(b64);
  if (salt?.length !== SALT_BYTES) return undefined;
  // match_maybe_hashed compares the whole field with host_hash()'s re-encoding of it.
  const prefix = `${HASH_MAGIC}${salt.toString('base64')}|`;
  return { salt, digest: field.startsWith(prefix) ? field.slice(prefix.length) : null };
}

/** HMAC-SHA1(key = salt, message = name), base64 — the second part of a hashed name. */
export function hashDigest(salt: Buffer, name: string): string {
  return createHmac('sha1', salt).update(name, 'utf8').digest('base64');
}

/**
 * hostfile.c `check_markers`: one marker at most, ended by the first space in the rest of the
 * line (or, when there is none, the first tab), `@cert-authority` or `@revoked` exactly.
 */
function readMarker(s: string, i: number): { marker: Marker; next: number } | undefined {
  let marker: Marker = null;
  while (s[i] === '@') {
    if (marker !== null) return undefined; // "Only one marker is allowed"
    let sp = s.indexOf(' ', i);
    if (sp === -1) sp = s.indexOf('\t', i);
    if (sp === -1) return undefined;
    if (sp <= i + 1 || sp >= i + 32) return undefined;
    const word = s.slice(i, sp);
    if (word === '@cert-authority') marker = 'cert-authority';
    else if (word === '@revoked') marker = 'revoked';
    else return undefined;
    i = skipBlanks(s, sp);
  }
  return { marker, next: i };
}

/** Parses one line (without its `\n`; a `\r` stays, as OpenSSH keeps it). */
export function parseLine(line: string): ParsedEntry | SkippedLine | InvalidLine {
  // hostfile.c works on C strings: a NUL byte ends the line.
  const nul = line.indexOf('\0');
  const s = nul === -1 ? line : line.slice(0, nul);
  let i = skipBlanks(s, 0);
  // "Skip any leading whitespace, comments and empty lines."
  if (i >= s.length || s[i] === '#') return { kind: 'skip' };
  // A lone CR (a blank line of a CRLF file) cannot match any host; OpenSSH skips it as unparsable, silently.
  if (s.slice(i) === '\r') return { kind: 'skip' };
  const m = readMarker(s, i);
  if (m === undefined) return { kind: 'invalid', reason: 'invalid marker: only one of @cert-authority or @revoked, followed by a space, is allowed' };
  i = m.next;
  let end = i;
  while (end < s.length && !isBlank(s[end])) end++;
  const field = s.slice(i, end);
  let hashed: HashedName | null = null;
  if (field.startsWith('|')) {
    const h = parseHashed(field);
    if (h === undefined) return { kind: 'invalid', reason: 'invalid hashed host name: expected |1|base64(20-byte salt)|base64(HMAC-SHA1)' };
    hashed = h;
  }
  i = skipBlanks(s, end);
  if (i >= s.length || s[i] === '#') return { kind: 'invalid', reason: 'missing key type and key after the host names' };
  // sshkey_read: the type ends at a space or tab, which must be there.
  let typeEnd = i;
  while (typeEnd < s.length && !isBlank(s[typeEnd])) typeEnd++;
  if (typeEnd >= s.length) return { kind: 'invalid', reason: 'missing key after the key type' };
  const writtenType = s.slice(i, typeEnd);
  const plain = plainTypeForName(writtenType);
  if (plain === undefined) return { kind: 'invalid', reason: 'unknown key type' };
  i = skipBlanks(s, typeEnd);
  if (i >= s.length) return { kind: 'invalid', reason: 'missing key after the key type' };
  let keyEnd = i;
  while (keyEnd < s.length && !isBlank(s[keyEnd])) keyEnd++;
  const blob = decodeBase64Strict(s.slice(i, keyEnd));
  if (blob === undefined) return { kind: 'invalid', reason: 'key is not valid base64' };
  const key = decodeKeyBlob(blob);
  if (key === undefined) return { kind: 'invalid', reason: 'key does not decode as an SSH public key' };
  // "ensure type of blob matches type at start of line" (and the ECDSA curve with it).
  if (key.keyType !== plain) return { kind: 'invalid', reason: 'key type field does not match the key' };
  return { kind: 'entry', marker: m.marker, patterns: hashed === null ? compilePatterns(toBytes(field)) : null, hashed, key, writtenType };
}
