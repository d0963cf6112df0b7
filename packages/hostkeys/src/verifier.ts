import { readFile } from 'node:fs/promises';
import { appendKnownHost, knownHostLine } from './append.js';
import { HostKeyError } from './errors.js';
import { changedMessage, pinMismatchMessage, rekeyMessage, revokedMessage, unknownMessage } from './internal/messages.js';
import { addKnownHostsText, KnownHosts, type VerifyResult } from './known-hosts.js';

/**
 * How unknown and changed keys are treated.
 * - `'strict'` (default): only a key listed in known_hosts is accepted (StrictHostKeyChecking yes).
 * - `'accept-new'`: an unknown host is accepted and, once the caller calls `recordAccepted()` after
 *   the handshake completed, recorded; a changed or revoked key is still refused.
 * - `{ pinned: ['SHA256:…'] }`: only keys with these fingerprints are accepted; `@revoked` still wins.
 * - `'insecure-accept-any'`: every key is accepted, with a process warning each time. Tests only.
 *
 * @example
 * ```ts
 * const policy: HostKeyPolicy = { pinned: ['SHA256:R+MnGZbPyQdJIixBOkSHrBX38E3bxFA/6wQ0Zdnpwz8'] };
 * ```
 */
export type HostKeyPolicy = 'strict' | 'accept-new' | 'insecure-accept-any' | { readonly pinned: readonly string[] };

/**
 * Arguments of {@link createHostKeyVerifier}.
 *
 * @example
 * ```ts
 * const options: HostKeyVerifierOptions = { knownHosts, host: 'docker.example.com', port: 2222, policy: 'accept-new' };
 * ```
 */
export interface HostKeyVerifierOptions {
  /** Required for `strict` and `accept-new`; optional for pinned and insecure policies. */
  readonly knownHosts?: KnownHosts;
  readonly host: string;
  readonly port?: number;
  readonly hostKeyAlias?: string;
  readonly policy?: HostKeyPolicy;
  /** Where `accept-new` records keys. Defaults to the first path given to `KnownHosts.load`; with none, unknown is refused. */
  readonly recordTo?: string;
  /** Hash recorded names (default true, as HashKnownHosts yes). */
  readonly hashRecorded?: boolean;
}

/**
 * A key accepted under `accept-new`, waiting for the handshake to complete before it is written.
 *
 * @example
 * ```ts
 * const pending = verifier.decision?.pendingRecord; // { path, host, port, key }
 * ```
 */
export interface PendingRecord {
  readonly path: string;
  readonly host: string;
  readonly port: number;
  readonly hostKeyAlias?: string;
  readonly key: Buffer;
}

/**
 * What the verifier decided about the last key ssh2 presented.
 *
 * @example
 * ```ts
 * const d = verifier.decision;
 * if (d && !d.accepted) throw d.error;
 * ```
 */
export interface HostKeyDecision {
  readonly policy: 'strict' | 'accept-new' | 'pinned' | 'insecure-accept-any';
  readonly accepted: boolean;
  /** `known`: listed in known_hosts; `new`: accepted under accept-new; `pinned`; `insecure`; `refused`. */
  readonly outcome: 'known' | 'new' | 'pinned' | 'insecure' | 'refused';
  /** known_hosts' verdict (against an empty set when no `knownHosts` was given: then `unknown`). */
  readonly result: VerifyResult;
  /** Set when refused. */
  readonly error?: HostKeyError;
  /** Set when accept-new accepted an unknown key. */
  readonly pendingRecord?: PendingRecord;
}

/**
 * The object {@link createHostKeyVerifier} returns.
 *
 * @example
 * ```ts
 * const verifier: HostKeyVerifier = createHostKeyVerifier({ knownHosts, host, port });
 * client.connect({ host, port, hostVerifier: verifier.hostVerifier, algorithms: { serverHostKey: verifier.hostKeyAlgorithms } });
 * ```
 */
export interface HostKeyVerifier {
  /** Give this to ssh2 as `hostVerifier`. Called with the raw key blob, also on every re-key. */
  readonly hostVerifier: (key: Buffer) => boolean;
  /** The decision about the last presented key, or undefined before ssh2 called `hostVerifier`. */
  readonly decision: HostKeyDecision | undefined;
  /** The ordered list for ssh2's `algorithms.serverHostKey` (see `KnownHosts.hostKeyAlgorithms`). */
  readonly hostKeyAlgorithms: string[];
  /**
   * Under accept-new, writes the pending key to known_hosts (hashed) and trusts it in memory.
   * Call it only after ssh2's `ready` (the server has proved it holds the key). Resolves with
   * true when a line was written, false when nothing was pending.
   */
  recordAccepted(): Promise<boolean>;
}

const INSECURE_WARNING_CODE = 'SSH_DOCKER_INSECURE_HOST_KEY';

function normalisePin(pin: unknown): string {
  if (typeof pin !== 'string' || !/^SHA256:[A-Za-z0-9+/]{43}=?$/.test(pin)) {
    throw new TypeError('pinned fingerprints must look like ssh-keygen -l output: SHA256: followed by 43 base64 characters');
  }
  return pin.replace(/=$/, '');
}

/**
 * Builds the ssh2 `hostVerifier` for one host under a policy, and remembers what it decided.
 * A refusal makes ssh2 fail the handshake; the reason is in `verifier.decision.error`
 * (a {@link HostKeyError}). Once a key is accepted, a different key on a re-key is refused.
 *
 * @throws TypeError for a missing `knownHosts` under strict/accept-new, an unknown policy or a bad pin.
 * @example
 * ```ts
 * import { KnownHosts, createHostKeyVerifier } from '@ssh-docker/hostkeys';
 * const knownHosts = KnownHosts.load([`${homedir()}/.ssh/known_hosts`]);
 * const verifier = createHostKeyVerifier({ knownHosts, host, port, policy: 'accept-new' });
 * const client = new Client();
 * client.on('ready', () => void verifier.recordAccepted());
 * client.on('error', (err) => reject(verifier.decision?.error ?? err));
 * client.connect({ host, port, hostVerifier: verifier.hostVerifier,
 *   algorithms: { serverHostKey: verifier.hostKeyAlgorithms } });
 * ```
 */
export function createHostKeyVerifier(options: HostKeyVerifierOptions): HostKeyVerifier {
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const policy = options.policy ?? 'strict';
  let kind: HostKeyDecision['policy'];
  let pins: string[] = [];
  if (policy === 'strict' || policy === 'accept-new' || policy === 'insecure-accept-any') kind = policy;
  else if (typeof policy === 'object' && policy !== null && Array.isArray(policy.pinned)) {
    kind = 'pinned';
    pins = policy.pinned.map(normalisePin);
    if (pins.length === 0) throw new TypeError('policy.pinned must list at least one fingerprint');
  } else {
    throw new TypeError("policy must be 'strict', 'accept-new', 'insecure-accept-any' or { pinned: [...] }");
  }
  // Duck-typed, not instanceof: two copies of this package in node_modules are normal (STYLE.md 6).
  const given: unknown = options.knownHosts;
  const usable = typeof given === 'object' && given !== null && typeof (given as { verify?: unknown }).verify === 'function';
  if (given !== undefined && !usable) throw new TypeError('knownHosts must be a KnownHosts (use KnownHosts.load)');
  if ((kind === 'strict' || kind === 'accept-new') && !usable) {
    throw new TypeError(`knownHosts is required for the ${kind} policy (use KnownHosts.load)`);
  }
  const knownHosts = options.knownHosts ?? KnownHosts.parse('', { source: '<none>' });
  const host = options.host;
  const port = options.port ?? 22;
  const alias = options.hostKeyAlias;
  const lookup = { host, port, ...(alias === undefined ? {} : { hostKeyAlias: alias }) };
  // Validates host, port and alias now, so mistakes surface before connecting.
  const hostKeyAlgorithms = knownHosts.hostKeyAlgorithms(lookup);
  const recordTo = options.recordTo ?? knownHosts.paths[0];
  const hash = options.hashRecorded ?? true;

  let decision: HostKeyDecision | undefined;
  let acceptedIdentity: string | undefined;
  let acceptedLabel = '';
  let recorded = false;

  function decide(key: Buffer): HostKeyDecision {
    const result = knownHosts.verify({ ...lookup, key });
    const identity = `${result.presented.keyType} ${result.presented.fingerprint}`;
    const refuse = (error: HostKeyError): HostKeyDecision => ({ policy: kind, accepted: false, outcome: 'refused', result, error });
    const details = { host, port, lookupName: result.lookupName, presented: result.presented, matches: result.matches };
    // A host key cannot change within one connection (re-key presents the same key).
    if (acceptedIdentity !== undefined && acceptedIdentity !== identity) {
      return refuse(new HostKeyError('ERR_HOST_KEY_CHANGED', rekeyMessage(host, port, result, acceptedLabel), details));
    }
    if (kind === 'insecure-accept-any') {
      process.emitWarning(
        `host key checking is off for ${host} port ${port} (policy insecure-accept-any): accepted ${identity} without verifying it`,
        { type: 'SecurityWarning', code: INSECURE_WARNING_CODE },
      );
      return { policy: kind, accepted: true, outcome: 'insecure', result };
    }
    // Revocation beats every other line and every policy.
    if (result.status === 'revoked') {
      return refuse(new HostKeyError('ERR_HOST_KEY_REVOKED', revokedMessage(host, port, result), details));
    }
    if (kind === 'pinned') {
      if (pins.includes(result.presented.fingerprint)) return { policy: kind, accepted: true, outcome: 'pinned', result };
      return refuse(new HostKeyError('ERR_HOST_KEY_CHANGED', pinMismatchMessage(host, port, result, pins), details));
    }
    if (result.status === 'trusted') return { policy: kind, accepted: true, outcome: 'known', result };
    if (result.status === 'changed') {
      return refuse(new HostKeyError('ERR_HOST_KEY_CHANGED', changedMessage(host, port, result), details));
    }
    if (kind === 'accept-new' && recordTo !== undefined) {
      const pendingRecord: PendingRecord = {
        path: recordTo,
        host,
        port,
        ...(alias === undefined ? {} : { hostKeyAlias: alias }),
        key: Buffer.from(key),
      };
      return { policy: kind, accepted: true, outcome: 'new', result, pendingRecord };
    }
    return refuse(new HostKeyError('ERR_HOST_KEY_UNKNOWN', unknownMessage(host, port, result, kind !== 'accept-new'), details));
  }

  const hostVerifier = (key: Buffer): boolean => {
    try {
      decision = decide(key);
    } catch (err) {
      // A blob that does not decode is hostile input: refuse, never throw into ssh2.
      if (!(err instanceof TypeError)) throw err;
      const result: VerifyResult = {
        status: 'unknown',
        matches: [],
        candidates: [],
        presented: { keyType: 'unknown', fingerprint: 'none' },
        lookupName: host,
      };
      decision = {
        policy: kind,
        accepted: false,
        outcome: 'refused',
        result,
        error: new HostKeyError(
          'ERR_HOST_KEY_UNKNOWN',
          `The host key offered by ${host} port ${port} is not a public key OpenSSH would accept; the connection is refused.`,
          { host, port, lookupName: host, presented: result.presented, matches: [] },
        ),
      };
    }
    if (decision.accepted && acceptedIdentity === undefined) {
      acceptedIdentity = `${decision.result.presented.keyType} ${decision.result.presented.fingerprint}`;
      acceptedLabel = acceptedIdentity;
    }
    return decision.accepted;
  };

  return {
    hostVerifier,
    get decision() {
      return decision;
    },
    hostKeyAlgorithms,
    async recordAccepted() {
      const pending = decision?.pendingRecord;
      if (pending === undefined || recorded || !decision?.accepted) return false;
      const target = { host: pending.host, port: pending.port, key: pending.key, ...(pending.hostKeyAlias === undefined ? {} : { hostKeyAlias: pending.hostKeyAlias }) };
      let line: string;
      try {
        line = await appendKnownHost(pending.path, target, { hash });
      } catch (err) {
        // Not written (ssh(1): "Failed to add the host to the list of known hosts"), but this process
        // still pins the key it accepted: a later connection presenting another key is refused as changed.
        recorded = true;
        addKnownHostsText(knownHosts, `${knownHostLine(target, false)}\n`, `${pending.path} (not written)`, 1);
        throw err;
      }
      recorded = true;
      // Trust it in memory too, under the line number it got in the file.
      let lineNumber = 1;
      try {
        const text = await readFile(pending.path, 'utf8');
        const at = text.lastIndexOf(`${line}\n`);
        lineNumber = at === -1 ? 1 : text.slice(0, at).split('\n').length;
      } catch {
        // The file was removed meanwhile: the in-memory entry still holds.
      }
      addKnownHostsText(knownHosts, `${line}\n`, pending.path, lineNumber);
      return true;
    },
  };
}
