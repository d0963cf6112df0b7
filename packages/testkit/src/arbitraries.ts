import { createHmac, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { mpint, sshString } from './internal/keys.js';

/** Characters with a meaning in URLs, shells or JSON: a secret made of them must still be redacted. */
const SPECIAL = Array.from('@:/?#%[] &=+;,!$\'()*"\\<>{}|^`~\t\n\r');

const secretChar: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 3, arbitrary: fc.constantFrom(...Array.from('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom('é', 'ü', 'ß', 'Ω', 'ж', '中', '文', '🔑', '👍🏽', '\u200b', '\u0000', '\u00a0', 'ﬁ') },
);

/**
 * Whether a generated secret is distinctive enough that finding it in a rendering is a real leak,
 * not a chance match with fixed text (eight spaces of indentation, `"}]}, {"`...): at least five
 * distinct characters, two of them letters or digits of any script.
 */
function distinctive(secret: string): boolean {
  const chars = Array.from(secret);
  return new Set(chars).size >= 5 && chars.filter((c) => /[\p{L}\p{N}]/u.test(c)).length >= 2;
}

/**
 * Passwords and passphrases: 8 to 40 code points of any Unicode (astral, combining, NUL, controls),
 * weighted towards URL-special characters (`@:/?#%[]` and space) and JSON/shell metacharacters.
 *
 * @example
 * ```ts
 * import { fc, test } from '@fast-check/vitest';
 * test.prop([arbitraries.secret()])('the password never shows in the error', (secret) => {
 *   expectNoSecretLeak(secret, [makeErrorFor(secret)]);
 * });
 * ```
 */
function secret(): fc.Arbitrary<string> {
  return fc
    .array(secretChar, { minLength: 8, maxLength: 40 })
    .map((chars) => chars.join(''))
    .filter((value) => Array.from(value).length >= 8 && distinctive(value));
}

const label: fc.Arbitrary<string> = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/);

/**
 * Host names as RFC 1123 allows them: single labels (`docker-host`), dotted names (`fc.domain()`),
 * upper case included. Never starts with `-`.
 *
 * @example
 * ```ts
 * test.prop([arbitraries.hostname()])('a host name parses', (host) => {
 *   expect(parseSshUrl(`ssh://${host}`).host).toBe(host.toLowerCase());
 * });
 * ```
 */
function hostname(): fc.Arbitrary<string> {
  return fc.oneof(
    label.filter((l) => !/^\d+$/.test(l)),
    fc.domain(),
    fc.domain().map((d) => d.toUpperCase()),
  );
}

const port: fc.Arbitrary<number> = fc.oneof(fc.constant(22), fc.integer({ min: 1, max: 65535 }));

const userName: fc.Arbitrary<string> = fc.stringMatching(/^[a-z_][a-z0-9_.]{0,15}$/);

/**
 * Valid `ssh://[user[:password]@]host[:port]` URLs: names, IPv4 and bracketed IPv6 hosts, optional
 * port, and passwords from {@link arbitraries}.secret() percent-encoded with `encodeURIComponent`.
 *
 * @example
 * ```ts
 * test.prop([arbitraries.sshUrl()])('every valid URL parses', (url) => {
 *   expect(() => parseSshUrl(url)).not.toThrow();
 * });
 * ```
 */
function sshUrl(): fc.Arbitrary<string> {
  const host = fc.oneof(hostname(), fc.ipV4(), fc.ipV6().map((v6) => `[${v6}]`));
  const userinfo = fc.option(
    fc.tuple(userName, fc.option(secret(), { nil: undefined })).map(([user, password]) =>
      password === undefined ? `${user}@` : `${user}:${encodeURIComponent(password)}@`,
    ),
    { nil: '' },
  );
  return fc
    .tuple(userinfo, host, fc.option(port, { nil: undefined }))
    .map(([info, h, p]) => `ssh://${info}${h}${p === undefined ? '' : `:${p}`}`);
}

interface PublicKey {
  type: string;
  blob: Buffer;
}

let keyPool: PublicKey[] | undefined;

/**
 * Real public keys in SSH wire format (RFC 4253 6.6, RFC 5656 3.1, RFC 8709, PROTOCOL.u2f), made
 * once per process: parsers that decode the blob see valid keys, not random bytes.
 */
function publicKeys(): PublicKey[] {
  if (keyPool) return keyPool;
  const pool: PublicKey[] = [];
  const b64 = (text: string | undefined): Buffer => Buffer.from(text ?? '', 'base64url');
  const type = (name: string): Buffer => sshString(Buffer.from(name));
  for (let i = 0; i < 3; i++) {
    const ed = b64(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x);
    pool.push({ type: 'ssh-ed25519', blob: Buffer.concat([type('ssh-ed25519'), sshString(ed)]) });
    const sk = Buffer.concat([type('sk-ssh-ed25519@openssh.com'), sshString(ed), sshString(Buffer.from('ssh:'))]);
    pool.push({ type: 'sk-ssh-ed25519@openssh.com', blob: sk });
    for (const [curve, name, size] of [
      ['P-256', 'nistp256', 32],
      ['P-384', 'nistp384', 48],
      ['P-521', 'nistp521', 66],
    ] as const) {
      const jwk = generateKeyPairSync('ec', { namedCurve: curve }).publicKey.export({ format: 'jwk' });
      const pad = (b: Buffer): Buffer => Buffer.concat([Buffer.alloc(size - b.length), b]);
      const point = Buffer.concat([Buffer.from([4]), pad(b64(jwk.x)), pad(b64(jwk.y))]);
      const keyType = `ecdsa-sha2-${name}`;
      pool.push({ type: keyType, blob: Buffer.concat([type(keyType), sshString(Buffer.from(name)), sshString(point)]) });
    }
  }
  for (let i = 0; i < 2; i++) {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    pool.push({ type: 'ssh-rsa', blob: Buffer.concat([type('ssh-rsa'), mpint(b64(jwk.e)), mpint(b64(jwk.n))]) });
  }
  keyPool = pool;
  return pool;
}

/** `|1|salt|hmac` as OpenSSH's HashKnownHosts writes it: HMAC-SHA1 of the name keyed by the salt. */
function hashed(name: string, salt: Uint8Array): string {
  const mac = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${Buffer.from(salt).toString('base64')}|${mac}`;
}

/**
 * Lines of an OpenSSH known_hosts file (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): optional
 * `@revoked`/`@cert-authority` marker; a comma list of plain names, `[host]:port` for non-22 ports,
 * `*`/`?` wildcards, `!` negations or one hashed `|1|salt|hmac` name; a key type; the base64 blob
 * of a real public key of that type (ed25519, sk-ed25519, ECDSA P-256/384/521, RSA); an optional comment.
 *
 * @example
 * ```ts
 * test.prop([arbitraries.knownHostsLine()])('every line parses without a warning', (line) => {
 *   expect(parseKnownHosts(line).warnings).toEqual([]);
 * });
 * ```
 */
function knownHostsLine(): fc.Arbitrary<string> {
  const plainName = fc.oneof(
    hostname().map((h) => h.toLowerCase()),
    fc.ipV4(),
    fc.tuple(fc.oneof(hostname().map((h) => h.toLowerCase()), fc.ipV4(), fc.ipV6()), fc.integer({ min: 1, max: 65535 })).map(
      ([h, p]) => (p === 22 ? h : `[${h}]:${p}`),
    ),
  );
  const pattern = fc.oneof(
    { weight: 4, arbitrary: plainName },
    { weight: 1, arbitrary: fc.constantFrom('*', '*.example.com', 'host?.example.org', '10.0.0.*', '[*]:2222') },
  );
  const negatable = fc.tuple(fc.boolean(), pattern).map(([negate, p]) => (negate ? `!${p}` : p));
  const hosts = fc.oneof(
    { weight: 3, arbitrary: fc.array(negatable, { minLength: 1, maxLength: 4 }).map((list) => list.join(',')) },
    {
      weight: 1,
      arbitrary: fc.tuple(plainName, fc.uint8Array({ minLength: 20, maxLength: 20 })).map(([n, salt]) => hashed(n, salt)),
    },
  );
  const key = fc.constantFrom(...publicKeys());
  const marker = fc.constantFrom('', '', '', '@revoked ', '@cert-authority ');
  const comment = fc.option(fc.stringMatching(/^[A-Za-z0-9@._-]{1,30}$/), { nil: undefined });
  return fc
    .tuple(marker, hosts, key, comment)
    .map(([m, h, k, c]) => `${m}${h} ${k.type} ${k.blob.toString('base64')}${c === undefined ? '' : ` ${c}`}`);
}

/**
 * fast-check arbitraries for the ssh-docker domain.
 *
 * @example
 * ```ts
 * import { fc, test } from '@fast-check/vitest';
 * import { arbitraries } from '@ssh-docker/testkit';
 *
 * test.prop([arbitraries.sshUrl(), arbitraries.secret()], { numRuns: Number(process.env.FC_NUM_RUNS ?? 1000) })(
 *   'no error shows the password',
 *   (url, secret) => { ... },
 * );
 * ```
 */
export const arbitraries: {
  sshUrl(): fc.Arbitrary<string>;
  secret(): fc.Arbitrary<string>;
  hostname(): fc.Arbitrary<string>;
  knownHostsLine(): fc.Arbitrary<string>;
} = Object.freeze({ sshUrl, secret, hostname, knownHostsLine });
