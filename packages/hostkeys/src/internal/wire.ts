/**
 * SSH public-key blobs (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4, OpenSSH PROTOCOL.u2f) —
 * decoded as strictly as OpenSSH's sshkey.c `sshkey_from_blob` so that a key it refuses is
 * refused here too, and compared as `sshkey_equal` compares them: by the public parameters,
 * not by the bytes.
 */
import { createHash, createPublicKey } from 'node:crypto';

/** The key families OpenSSH 9.2 knows, by the name that `ssh-keygen -lf` shows in brackets. */
export type KeyFamily = 'ED25519' | 'RSA' | 'ECDSA' | 'DSA' | 'ED25519-SK' | 'ECDSA-SK' | 'CERT';

export interface DecodedKey {
  /** The canonical type name, as written in known_hosts (`ssh-ed25519`, `ecdsa-sha2-nistp256`, …). */
  readonly keyType: string;
  readonly family: KeyFamily;
  /** A string equal for two keys exactly when OpenSSH's `sshkey_equal` says they are equal. */
  readonly identity: string;
  /** The canonical blob (`sshkey_to_blob`), whose SHA-256 is the fingerprint. */
  readonly blob: Buffer;
}

/** sshkey.c: SSH_RSA_MINIMUM_MODULUS_SIZE. */
const RSA_MIN_BITS = 1024;
/** sshbuf.h: SSHBUF_MAX_BIGNUM (16384 bits) + the sign byte. */
const MAX_BIGNUM_BYTES = 16384 / 8 + 1;

const CURVES: Readonly<Record<string, { id: string; jwk: string; pointLength: number }>> = {
  'ecdsa-sha2-nistp256': { id: 'nistp256', jwk: 'P-256', pointLength: 65 },
  'ecdsa-sha2-nistp384': { id: 'nistp384', jwk: 'P-384', pointLength: 97 },
  'ecdsa-sha2-nistp521': { id: 'nistp521', jwk: 'P-521', pointLength: 133 },
};

/** Type names sshkey.c maps onto a plain key type (the RSA signature names map onto ssh-rsa). */
const NAME_TO_PLAIN: Readonly<Record<string, string>> = {
  'ssh-ed25519': 'ssh-ed25519',
  'ssh-rsa': 'ssh-rsa',
  'rsa-sha2-256': 'ssh-rsa',
  'rsa-sha2-512': 'ssh-rsa',
  'ssh-dss': 'ssh-dss',
  'ecdsa-sha2-nistp256': 'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384': 'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521': 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com': 'sk-ssh-ed25519@openssh.com',
  'sk-ecdsa-sha2-nistp256@openssh.com': 'sk-ecdsa-sha2-nistp256@openssh.com',
};

const CERT_TYPES = new Set([
  'ssh-ed25519-cert-v01@openssh.com',
  'ssh-rsa-cert-v01@openssh.com',
  'rsa-sha2-256-cert-v01@openssh.com',
  'rsa-sha2-512-cert-v01@openssh.com',
  'ssh-dss-cert-v01@openssh.com',
  'ecdsa-sha2-nistp256-cert-v01@openssh.com',
  'ecdsa-sha2-nistp384-cert-v01@openssh.com',
  'ecdsa-sha2-nistp521-cert-v01@openssh.com',
  'sk-ssh-ed25519-cert-v01@openssh.com',
  'sk-ecdsa-sha2-nistp256-cert-v01@openssh.com',
]);

/** The plain key type for a type name found in a known_hosts line, or `undefined` when OpenSSH does not know it. */
export function plainTypeForName(name: string): string | undefined {
  if (CERT_TYPES.has(name)) return name.replace(/^rsa-sha2-(256|512)-/, 'ssh-rsa-');
  return NAME_TO_PLAIN[name];
}

class Reader {
  #buf: Buffer;
  #pos = 0;
  constructor(buf: Buffer) {
    this.#buf = buf;
  }
  string(): Buffer | undefined {
    if (this.#pos + 4 > this.#buf.length) return undefined;
    const len = this.#buf.readUInt32BE(this.#pos);
    const start = this.#pos + 4;
    if (len > this.#buf.length - start) return undefined;
    this.#pos = start + len;
    return this.#buf.subarray(start, start + len);
  }
  /** sshbuf_get_bignum2_bytes_direct: no negative numbers, bounded size, leading zeros dropped. */
  mpint(): Buffer | undefined {
    const raw = this.string();
    if (raw === undefined) return undefined;
    if (raw.length > 0 && ((raw[0] ?? 0) & 0x80) !== 0) return undefined;
    if (raw.length > MAX_BIGNUM_BYTES || (raw.length === MAX_BIGNUM_BYTES && raw[0] !== 0)) return undefined;
    let i = 0;
    while (i < raw.length && raw[i] === 0) i++;
    return raw.subarray(i);
  }
  get done(): boolean {
    return this.#pos === this.#buf.length;
  }
}

function sshString(b: Buffer | string): Buffer {
  const data = typeof b === 'string' ? Buffer.from(b) : b;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  return Buffer.concat([len, data]);
}

function sshMpint(b: Buffer): Buffer {
  return sshString(b.length > 0 && ((b[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.of(0), b]) : b);
}

function bitLength(b: Buffer): number {
  if (b.length === 0) return 0;
  return (b.length - 1) * 8 + (32 - Math.clz32(b[0] ?? 0));
}

/** sshkey.c `sshkey_ec_validate_public`, through OpenSSL: the point must lie on the curve. */
function validEcPoint(curve: { jwk: string; pointLength: number }, q: Buffer): boolean {
  if (q.length !== curve.pointLength || q[0] !== 0x04) return false;
  const half = (q.length - 1) / 2;
  try {
    createPublicKey({
      key: {
        kty: 'EC',
        crv: curve.jwk,
        x: q.subarray(1, 1 + half).toString('base64url'),
        y: q.subarray(1 + half).toString('base64url'),
      },
      format: 'jwk',
    });
    return true;
  } catch {
    return false;
  }
}

/** The canonical blob, as a string: two keys are equal (sshkey_equal) exactly when these are. */
function identityOf(canonical: Buffer): string {
  return canonical.toString('base64');
}

/**
 * Decodes a public-key blob. Returns `undefined` for anything OpenSSH would refuse:
 * unknown type, truncated or trailing data, RSA under 1024 bits, an EC point off its curve.
 */
export function decodeKeyBlob(blob: Buffer): DecodedKey | undefined {
  const r = new Reader(blob);
  const typeBytes = r.string();
  if (typeBytes === undefined) return undefined;
  const name = typeBytes.toString('latin1');
  if (CERT_TYPES.has(name)) {
    // Host certificates cannot be verified through ssh2; such a line is kept as an entry of its own
    // type that never equals a plain key (sshkey_equal compares types first).
    const nonce = r.string();
    if (nonce === undefined) return undefined;
    const keyType = plainTypeForName(name) ?? name;
    return { keyType, family: 'CERT', identity: `cert:${identityOf(blob)}`, blob };
  }
  const plain = NAME_TO_PLAIN[name];
  if (plain === undefined) return undefined;
  switch (plain) {
    case 'ssh-ed25519': {
      const pk = r.string();
      if (pk?.length !== 32 || !r.done) return undefined;
      // A valid Ed25519 blob is already canonical.
      return { keyType: plain, family: 'ED25519', identity: identityOf(blob), blob };
    }
    case 'sk-ssh-ed25519@openssh.com': {
      const pk = r.string();
      const app = r.string();
      if (pk?.length !== 32 || app === undefined || !r.done) return undefined;
      return { keyType: plain, family: 'ED25519-SK', identity: identityOf(blob), blob };
    }
    case 'ssh-rsa': {
      const e = r.mpint();
      const n = r.mpint();
      if (e === undefined || n === undefined || !r.done) return undefined;
      if (bitLength(n) < RSA_MIN_BITS) return undefined;
      // sshkey_equal compares e and n: re-encode (type ssh-rsa, minimal mpints) so that equal keys have equal blobs.
      const canonical = Buffer.concat([sshString(plain), sshMpint(e), sshMpint(n)]);
      const same = canonical.equals(blob);
      return { keyType: plain, family: 'RSA', identity: identityOf(same ? blob : canonical), blob: same ? blob : canonical };
    }
    case 'ssh-dss': {
      const parts = [r.mpint(), r.mpint(), r.mpint(), r.mpint()];
      if (!r.done) return undefined;
      const defined = parts.filter((p): p is Buffer => p !== undefined);
      if (defined.length !== 4) return undefined;
      const canonical = Buffer.concat([sshString(plain), ...defined.map(sshMpint)]);
      return { keyType: plain, family: 'DSA', identity: identityOf(canonical), blob: canonical };
    }
    case 'sk-ecdsa-sha2-nistp256@openssh.com':
    case 'ecdsa-sha2-nistp256':
    case 'ecdsa-sha2-nistp384':
    case 'ecdsa-sha2-nistp521': {
      const sk = plain.startsWith('sk-');
      const curve = CURVES[sk ? 'ecdsa-sha2-nistp256' : plain];
      const curveId = r.string();
      const q = r.string();
      const app = sk ? r.string() : Buffer.alloc(0);
      if (curve === undefined || curveId === undefined || q === undefined || app === undefined || !r.done) return undefined;
      if (curveId.toString('latin1') !== curve.id || !validEcPoint(curve, q)) return undefined;
      // Type and curve were checked, the point is uncompressed: the blob is canonical.
      return { keyType: plain, family: sk ? 'ECDSA-SK' : 'ECDSA', identity: identityOf(blob), blob };
    }
    default:
      return undefined;
  }
}

/** `SHA256:` + unpadded base64 of the SHA-256 of the canonical blob, as `ssh-keygen -l` prints it. */
export function sha256Fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
