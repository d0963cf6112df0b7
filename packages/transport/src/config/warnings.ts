/**
 * Settings that resolve but that the transport does not honour. Each one that changes security
 * or behaviour is reported once, with where it was set, so nothing is ignored silently
 * (`ResolvedSshTarget.warnings`; the transport publishes them on `ssh-docker:transport:config`).
 */
import { asciiLower } from './lexer.js';
import type { ConfigWarning, Origin } from './types.js';

/** The first line that set a watched keyword: its words and where it was. */
export interface FirstSeen {
  readonly args: readonly string[];
  readonly origin: Origin;
}

const NO = new Set(['no', 'false', 'off']);
const isNo = (v: string | undefined): boolean => v === undefined || NO.has(asciiLower(v));
const isNone = (v: string | undefined): boolean => v === undefined || asciiLower(v) === 'none';
const isYes = (v: string | undefined): boolean => v !== undefined && ['yes', 'true'].includes(asciiLower(v));

interface Rule {
  readonly keyword: string;
  /** Whether the first value obtained is one we do not honour. */
  readonly applies: (first: string | undefined) => boolean;
  readonly message: string;
}

const any = (): boolean => true;
const algorithms = (keyword: string): Rule => ({
  keyword,
  applies: any,
  message: `${keyword} is ignored: the transport uses its hardened algorithm profile (the algorithms option changes it)`,
});

/**
 * Keywords ssh honours and we do not, keyed by the lower-case keyword, with the values for which
 * the difference matters. Keywords the transport honours (HostName, Port, User, IdentityFile,
 * UserKnownHostsFile, …) and those that change nothing for a dial-stdio channel (LogLevel, EscapeChar,
 * …) are not listed.
 */
const RULES: Readonly<Record<string, Rule>> = {
  forwardagent: { keyword: 'ForwardAgent', applies: (v) => !isNo(v), message: 'ForwardAgent is ignored: the agent is never forwarded to the remote host' },
  controlmaster: { keyword: 'ControlMaster', applies: (v) => !isNo(v), message: 'ControlMaster is ignored: connections are shared inside the transport, never through a control socket' },
  controlpath: { keyword: 'ControlPath', applies: (v) => !isNone(v), message: 'ControlPath is ignored: no control socket is used or created' },
  controlpersist: { keyword: 'ControlPersist', applies: (v) => !isNo(v), message: 'ControlPersist is ignored: connections close with the transport' },
  permitlocalcommand: { keyword: 'PermitLocalCommand', applies: isYes, message: 'PermitLocalCommand is ignored: LocalCommand is never run' },
  localcommand: { keyword: 'LocalCommand', applies: (v) => !isNone(v), message: 'LocalCommand is ignored: it is never run' },
  forwardx11: { keyword: 'ForwardX11', applies: isYes, message: 'ForwardX11 is ignored: X11 is never forwarded' },
  forwardx11trusted: { keyword: 'ForwardX11Trusted', applies: isYes, message: 'ForwardX11Trusted is ignored: X11 is never forwarded' },
  remotecommand: { keyword: 'RemoteCommand', applies: (v) => !isNone(v), message: 'RemoteCommand is ignored: the remote side always runs docker system dial-stdio' },
  requesttty: { keyword: 'RequestTTY', applies: (v) => v !== undefined && ['yes', 'true', 'force'].includes(asciiLower(v)), message: 'RequestTTY is ignored: no terminal is requested' },
  setenv: { keyword: 'SetEnv', applies: any, message: 'SetEnv is ignored: no environment variable is sent to the remote side' },
  knownhostscommand: { keyword: 'KnownHostsCommand', applies: (v) => !isNone(v), message: 'KnownHostsCommand is ignored: it is never run; only the known_hosts files are read' },
  revokedhostkeys: { keyword: 'RevokedHostKeys', applies: (v) => !isNone(v), message: 'RevokedHostKeys is ignored: the file is not read; mark revoked keys with @revoked in known_hosts instead' },
  verifyhostkeydns: { keyword: 'VerifyHostKeyDNS', applies: (v) => !isNo(v), message: 'VerifyHostKeyDNS is ignored: SSHFP records are not checked, only known_hosts' },
  ciphers: algorithms('Ciphers'),
  macs: algorithms('MACs'),
  kexalgorithms: algorithms('KexAlgorithms'),
  hostkeyalgorithms: {
    keyword: 'HostKeyAlgorithms',
    applies: any,
    message: 'HostKeyAlgorithms is ignored: the transport offers the hardened host-key algorithms, those of the key types known_hosts lists for the host first',
  },
  preferredauthentications: {
    keyword: 'PreferredAuthentications',
    applies: any,
    message: 'PreferredAuthentications is ignored: the transport tries the agent and identity files, then a password or keyboard-interactive if one was given',
  },
  passwordauthentication: { keyword: 'PasswordAuthentication', applies: isNoStrict, message: 'PasswordAuthentication no is ignored: a password given to the transport is still offered; do not give one' },
  kbdinteractiveauthentication: {
    keyword: 'KbdInteractiveAuthentication',
    applies: isNoStrict,
    message: 'KbdInteractiveAuthentication no is ignored: a password given to the transport may still answer keyboard-interactive; do not give one',
  },
  pubkeyauthentication: { keyword: 'PubkeyAuthentication', applies: isNoStrict, message: 'PubkeyAuthentication no is ignored: keys are still offered; pass agent: false and no identity files to prevent it' },
  gssapiauthentication: { keyword: 'GSSAPIAuthentication', applies: isYes, message: 'GSSAPIAuthentication is ignored: GSSAPI (Kerberos) is not supported' },
  hostbasedauthentication: { keyword: 'HostbasedAuthentication', applies: isYes, message: 'HostbasedAuthentication is ignored: host-based authentication is not supported' },
  addkeystoagent: { keyword: 'AddKeysToAgent', applies: (v) => !isNo(v), message: 'AddKeysToAgent is ignored: keys are never added to the agent' },
  pkcs11provider: { keyword: 'PKCS11Provider', applies: (v) => !isNone(v), message: 'PKCS11Provider is ignored: keys on a token are used only through the agent' },
  compression: { keyword: 'Compression', applies: isYes, message: 'Compression is ignored: the connection is not compressed' },
  bindaddress: { keyword: 'BindAddress', applies: any, message: 'BindAddress is ignored: the system chooses the local address' },
  bindinterface: { keyword: 'BindInterface', applies: any, message: 'BindInterface is ignored: the system chooses the local interface' },
  connectionattempts: { keyword: 'ConnectionAttempts', applies: (v) => v !== undefined && v !== '1', message: 'ConnectionAttempts is ignored: a connect is tried once, and the next request tries again' },
  canonicalizehostname: {
    keyword: 'CanonicalizeHostname',
    applies: (v) => !isNo(v),
    message: 'CanonicalizeHostname is not applied: CanonicalDomains are not tried (no DNS lookup); the name is used as resolved',
  },
  tunnel: { keyword: 'Tunnel', applies: (v) => !isNo(v), message: 'Tunnel is ignored: no tun/tap device is forwarded' },
  hashknownhosts: { keyword: 'HashKnownHosts', applies: isNoStrict, message: 'HashKnownHosts no is ignored: accept-new records the host name hashed' },
  stricthostkeychecking: {
    keyword: 'StrictHostKeyChecking',
    applies: (v) => v !== undefined && ['ask', 'no', 'false', 'off'].includes(asciiLower(v)),
    message:
      'StrictHostKeyChecking ask or no is not followed: there is no prompt, so under ask an unknown host key is refused (add it with ssh-keyscan, or use accept-new), and under no it is recorded as with accept-new while a changed key is still refused',
  },
};

function isNoStrict(v: string | undefined): boolean {
  return v !== undefined && NO.has(asciiLower(v));
}

/** The keywords whose first line the reader keeps (lower case). */
export const WATCHED_KEYWORDS: ReadonlySet<string> = new Set(Object.keys(RULES));

/** Accumulating settings whose resolved lists decide (they may be cleared or filtered after their first line). */
export interface ListSettings {
  readonly certificateFile: Origin | undefined;
  readonly sendEnv: { readonly count: number; readonly origin: Origin | undefined };
  readonly localForward: Origin | undefined;
  readonly remoteForward: Origin | undefined;
  readonly dynamicForward: Origin | undefined;
}

/** The warnings for one resolution: one per keyword, in the order of the lines that set them. */
export function collectWarnings(firstSeen: ReadonlyMap<string, FirstSeen>, lists: ListSettings): ConfigWarning[] {
  const out: ConfigWarning[] = [];
  const add = (keyword: string, origin: Origin, message: string): void => {
    out.push({ keyword, file: origin.file, line: origin.line, message });
  };
  // In the order ssh read the lines (overrides first), then the accumulating keywords.
  for (const [key, seen] of firstSeen) {
    const rule = RULES[key];
    if (rule === undefined || !rule.applies(seen.args[0])) continue;
    add(rule.keyword, seen.origin, rule.message);
  }
  if (lists.certificateFile !== undefined) {
    add('CertificateFile', lists.certificateFile, 'CertificateFile is ignored: certificates are not offered (ssh2 has no user certificates), only the plain keys; a server that accepts only the certificate refuses them');
  }
  if (lists.sendEnv.count > 0 && lists.sendEnv.origin !== undefined) {
    add('SendEnv', lists.sendEnv.origin, 'SendEnv is ignored: no environment variable is sent to the remote side');
  }
  const forward = (keyword: string, origin: Origin | undefined): void => {
    if (origin !== undefined) add(keyword, origin, `${keyword} is ignored: no port or socket is forwarded`);
  };
  forward('LocalForward', lists.localForward);
  forward('RemoteForward', lists.remoteForward);
  forward('DynamicForward', lists.dynamicForward);
  return out;
}
