import { readFile } from 'node:fs/promises';
import { debuglog } from 'node:util';
import ssh2 from 'ssh2';
import type { AuthenticationType, KeyboardInteractiveCallback, ParsedKey } from 'ssh2';
import { Secret } from '@ssh-docker/url';

// ssh2 is CommonJS: Node's ESM loader does not see `utils` as a named export, so take it from the default.
const { utils } = ssh2;
const debug = debuglog('ssh-docker:transport');

/** Who is asking a provider for a credential: the host it will be offered to, never another. */
export interface CredentialContext {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  /** `'target'`, or `'jump'` for a ProxyJump hop (asked only through `jumpCredentials`). */
  readonly role: 'target' | 'jump';
  readonly kind: 'password' | 'passphrase';
  /** For a passphrase: the encrypted identity file it is asked for (the first one met; `~` for the home), as ssh's prompt names it. */
  readonly identityFile?: string;
}

/**
 * A credential given directly, or asked for each time one is needed (so that reconnects work). A
 * provider is told which host, port and user it is for.
 */
export type SecretSource = Secret | ((context: CredentialContext) => Promise<Secret>);

/** One authentication method, in the shape ssh2's `authHandler` takes. */
export type AuthMethod =
  | { type: 'agent'; username: string; agent: string }
  | { type: 'publickey'; username: string; key: ParsedKey }
  | { type: 'password'; username: string; password: Buffer }
  | { type: 'keyboard-interactive'; username: string; prompt: (name: string, instructions: string, lang: string, prompts: { prompt: string; echo?: boolean }[], finish: KeyboardInteractiveCallback) => void };

/**
 * Password and keyboard-interactive, whose password is asked for only when the server still wants
 * one of them (as ssh does): `expand()` gets it and returns the two methods, or none once the
 * attempt is over.
 */
export interface DeferredPassword {
  type: 'deferred-password';
  expand(): Promise<AuthMethod[]>;
}

/** A method to offer, or the password methods still to be asked for. */
export type PlannedMethod = AuthMethod | DeferredPassword;

/** How an attempt ended: whether a server saw its credentials decides which Secrets are spent. */
export type AuthOutcome = 'authenticated' | 'rejected' | 'not-reached';

/** The methods for one connection attempt, and how to clean up after it. */
export interface AuthAttempt {
  readonly methods: PlannedMethod[];
  /** What will be tried, for the failure message: never a secret. */
  readonly described: string[];
  /** Secrets to redact from anything this attempt produces. */
  readonly secrets: Secret[];
  /** A password or passphrase given directly was already cleared by an earlier handshake. */
  readonly spent: boolean;
  /** Wipes the bytes this attempt copied, and clears Secrets as the outcome requires. */
  finish(outcome: AuthOutcome): void;
}

export interface CredentialOptions {
  readonly password?: SecretSource;
  readonly passphrase?: SecretSource;
  readonly identityFiles: readonly string[];
  /** Shown in messages instead of full paths under the home directory. */
  readonly homeDir: string;
  readonly agent?: string;
  readonly identitiesOnly: boolean;
  /** The host these credentials are for, told to providers. */
  readonly for?: Omit<CredentialContext, 'kind' | 'user'>;
}

/** The context told to providers when the credentials were made without a host (unit tests). */
const UNNAMED: Omit<CredentialContext, 'kind' | 'user'> = { host: '', port: 22, role: 'target' };

function isSecret(value: unknown): value is Secret {
  return value instanceof Secret || (typeof value === 'object' && value !== null && typeof (value as Secret).use === 'function' && typeof (value as Secret).clear === 'function');
}

/** Takes the Secret from its source; a cleared direct Secret is no credential any more. */
async function obtain(source: SecretSource | undefined, context: CredentialContext): Promise<{ secret: Secret; direct: boolean } | undefined> {
  if (source === undefined) return undefined;
  if (isSecret(source)) return source.cleared ? undefined : { secret: source, direct: true };
  const secret: unknown = await source(context);
  if (!isSecret(secret)) throw new TypeError('a password or passphrase provider must resolve to a Secret');
  return { secret, direct: false };
}

function looksEncrypted(err: Error): boolean {
  return /passphrase|encrypted/i.test(err.message);
}

/**
 * Credentials for every connection of one transport. Private keys are read from disk for each
 * connection and not kept; a password or passphrase given as a Secret is cleared once a handshake
 * has used it, so reconnecting with one needs a provider, which is asked again.
 */
export class Credentials {
  readonly #options: CredentialOptions;

  constructor(options: CredentialOptions) {
    this.#options = options;
  }

  /** True when a password or passphrase was given directly and has been cleared since. */
  #spent(): boolean {
    const { password, passphrase } = this.#options;
    return (isSecret(password) && password.cleared) || (isSecret(passphrase) && passphrase.cleared);
  }

  /**
   * Reads and decrypts the keys and asks the providers, in order. `abandoned` is checked before each
   * provider and each key: once the connection it was for has ended, nothing more is asked or decrypted.
   */
  async prepare(username: string, abandoned: () => boolean = () => false): Promise<AuthAttempt> {
    const methods: PlannedMethod[] = [];
    const described: string[] = [];
    const secrets: Secret[] = [];
    const wipe: Buffer[] = [];
    const used: { secret: Secret; direct: boolean }[] = [];
    const options = this.#options;
    const spent = this.#spent();

    if (options.agent !== undefined && !options.identitiesOnly) {
      methods.push({ type: 'agent', username, agent: options.agent });
      described.push('ssh-agent');
    }

    let passphrase: { secret: Secret; direct: boolean } | undefined;
    let passphraseAsked = false;
    for (const file of options.identityFiles) {
      if (abandoned()) break;
      const shown = file.startsWith(`${options.homeDir}/`) ? `~${file.slice(options.homeDir.length)}` : file;
      let data: Buffer;
      try {
        data = await readFile(file);
      } catch {
        continue; // Missing default identity files are normal, as with ssh.
      }
      wipe.push(data);
      let parsed = utils.parseKey(data);
      if (parsed instanceof Error && looksEncrypted(parsed)) {
        if (!passphraseAsked) {
          passphraseAsked = true;
          passphrase = await obtain(options.passphrase, { ...(options.for ?? UNNAMED), user: username, kind: 'passphrase', identityFile: shown });
          if (passphrase !== undefined) {
            secrets.push(passphrase.secret);
            used.push(passphrase);
          }
        }
        if (abandoned()) break;
        if (passphrase === undefined) {
          described.push(`key ${shown} (encrypted, no passphrase given)`);
          continue;
        }
        const bytes = passphrase.secret.use((b) => Buffer.from(b));
        wipe.push(bytes);
        parsed = utils.parseKey(data, bytes);
        bytes.fill(0);
      }
      if (parsed instanceof Error) {
        debug('identity %s skipped: %s', shown, parsed.message);
        described.push(`key ${shown} (${looksEncrypted(parsed) ? 'wrong passphrase' : 'not a usable private key'})`);
        continue;
      }
      for (const key of Array.isArray(parsed) ? (parsed as ParsedKey[]) : [parsed]) {
        methods.push({ type: 'publickey', username, key });
      }
      described.push(`key ${shown}`);
    }

    let finished: AuthOutcome | undefined;
    /** A direct Secret survives a network failure before auth (it was never sent); anything else is cleared. */
    const release = ({ secret, direct }: { secret: Secret; direct: boolean }, outcome: AuthOutcome): void => {
      if (!direct || outcome !== 'not-reached') secret.clear();
    };
    const passwordSource = options.password;
    if (passwordSource !== undefined && !(isSecret(passwordSource) && passwordSource.cleared)) {
      methods.push({
        type: 'deferred-password',
        expand: async () => {
          const password = finished === undefined && !abandoned() ? await obtain(passwordSource, { ...(options.for ?? UNNAMED), user: username, kind: 'password' }) : undefined;
          if (password === undefined) return [];
          if (finished !== undefined) {
            // The attempt ended while the provider answered: nothing is offered, and it is wiped now.
            release(password, finished);
            return [];
          }
          secrets.push(password.secret);
          used.push(password);
          // ssh2 takes a password as a Buffer, which finish() wipes (ssh2 keeps the last method tried).
          const bytes = password.secret.use((b) => Buffer.from(b));
          wipe.push(bytes);
          return [
            { type: 'password', username, password: bytes },
            {
              type: 'keyboard-interactive',
              username,
              prompt: (_name, _instructions, _lang, prompts, finish) => {
                // ssh2 sends answers only as strings: made here, when a server asks, and dropped at once.
                // Prompts that hide their input (a password prompt) get the password; others an empty answer.
                finish(prompts.map((p) => (p.echo === true ? '' : bytes.toString('utf8'))));
              },
            },
          ];
        },
      });
      described.push('password', 'keyboard-interactive');
    }

    return {
      methods,
      described,
      secrets,
      spent,
      finish(outcome) {
        if (finished !== undefined) return;
        finished = outcome;
        for (const buffer of wipe) buffer.fill(0);
        methods.length = 0;
        for (const entry of used) release(entry, outcome);
      },
    };
  }
}

/** What the auth handler tells its connection about the password it asks for. */
export interface AuthHandlerHooks {
  /** A provider failed, or gave no Secret: the attempt ends with this error. */
  fail(err: Error): void;
  /** Wraps the wait for a provider, so that the connection can stop its handshake clock meanwhile. */
  asking?<T>(work: Promise<T>): Promise<T>;
}

/**
 * ssh2's `authHandler`: the next of our methods the server still allows, or false when none is left.
 * The password is asked for when the server still allows password or keyboard-interactive.
 */
export function authHandler(
  methods: PlannedMethod[],
  hooks: AuthHandlerHooks,
): (methodsLeft: AuthenticationType[] | null, partial: boolean | null, next: (method: AuthMethod | false) => void) => void {
  let index = 0;
  const pick = (methodsLeft: AuthenticationType[] | null, next: (method: AuthMethod | false) => void): void => {
    while (index < methods.length) {
      const method = methods[index++];
      if (method === undefined) break;
      if (method.type === 'deferred-password') {
        if (methodsLeft !== null && !methodsLeft.includes('password') && !methodsLeft.includes('keyboard-interactive')) continue;
        const expanding = method.expand();
        (hooks.asking?.(expanding) ?? expanding).then(
          (expanded) => {
            methods.splice(index, 0, ...expanded);
            pick(methodsLeft, next);
          },
          (err: unknown) => {
            hooks.fail(err instanceof Error ? err : new Error(String(err)));
          },
        );
        return;
      }
      const wire: AuthenticationType = method.type === 'agent' ? 'publickey' : method.type;
      if (methodsLeft === null || methodsLeft.includes(wire)) {
        next(method);
        return;
      }
    }
    next(false);
  };
  return (methodsLeft, _partial, next) => {
    pick(methodsLeft, next);
  };
}
