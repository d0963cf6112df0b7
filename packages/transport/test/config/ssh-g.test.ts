/**
 * resolveSshTarget() against the real `ssh -G -F file name` (OpenSSH 9.2p1), one config per row.
 */
import { spawnSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { KNOWN_KEYWORDS } from '../../src/config/keywords.js';
import { WATCHED_KEYWORDS } from '../../src/config/warnings.js';
import { both, makeHome, MULTILINE, ONELINE, OPTIONAL, SCALARS, SSH } from './oracle.js';
import type { Home } from './oracle.js';

interface Row {
  /** What the row shows, as a sentence. */
  readonly name: string;
  readonly config: string;
  readonly target: string;
  /** Extra files, relative to the test home. */
  readonly files?: Readonly<Record<string, string>>;
  /** When ssh -G refuses the config: our exact message (CONFIG = the config file's path, HOME = the home). */
  readonly error?: string;
  /** Extra checks of our result. */
  readonly expect?: Readonly<Record<string, unknown>>;
}

const rows: Row[] = [
  { name: 'an empty config gives the defaults', config: '', target: 'plain.example' },
  { name: 'KexAlgorithms is a keyword (it was missing from ours)', config: 'KexAlgorithms curve25519-sha256\n', target: 'x' },
  { name: 'a Host block sets HostName, User and Port', config: 'Host web\n  HostName web.internal.example\n  User deploy\n  Port 2222\n', target: 'web', expect: { hostname: 'web.internal.example', user: 'deploy', port: 2222 } },
  { name: 'the first obtained value wins over later blocks', config: 'Host *\n  User first\nHost x\n  User second\n  Port 2200\nHost *\n  Port 2300\n', target: 'x', expect: { user: 'first', port: 2200 } },
  { name: 'a * pattern matches any run of characters', config: 'Host *.example.com\n  User star\n', target: 'a.b.example.com', expect: { user: 'star' } },
  { name: 'a ? pattern matches exactly one character', config: 'Host h?\n  User one\nHost *\n  User other\n', target: 'h12', expect: { user: 'other' } },
  { name: 'a ? pattern matches a single character name', config: 'Host h?\n  User one\n', target: 'h1', expect: { user: 'one' } },
  { name: 'a negated pattern excludes a host that * matches', config: 'Host * !bastion\n  User inner\n', target: 'bastion', expect: { user: 'root' } },
  { name: 'commas are literal in Host patterns', config: 'Host a,b\n  User comma\n', target: 'a', expect: { user: 'root' } },
  { name: 'Host patterns are case-sensitive against the name as typed', config: 'Host Foo\n  User upper\n', target: 'foo', expect: { user: 'root' } },
  { name: 'HostName is lower-cased in the result', config: 'Host Foo\n  HostName MiXeD.Example\n', target: 'Foo', expect: { hostname: 'mixed.example' } },
  { name: 'HostName %h substitution uses the name as given', config: 'Host *\n  HostName %h.internal\n', target: 'db', expect: { hostname: 'db.internal' } },
  { name: 'Match host tests the name after HostName substitution', config: 'Host x\n  HostName real.example\nMatch host real.example\n  Port 2201\n', target: 'x', expect: { port: 2201 } },
  { name: 'Match host is case-insensitive and takes a comma-separated list', config: 'Match host OTHER,FOO\n  Port 2202\n', target: 'foo' },
  { name: 'Match host with a negated pattern in the list', config: 'Match host *.example,!secret.example\n  User listed\n', target: 'secret.example', expect: { user: 'root' } },
  { name: 'Match originalhost tests the name as typed', config: 'Host x\n  HostName elsewhere\nMatch originalhost x\n  Port 2203\n', target: 'x' },
  { name: 'Match user tests the user configured so far', config: 'User bob\nMatch user bob\n  Port 2204\n', target: 'x' },
  { name: 'Match user sees the user of a user@host target', config: 'Match user alice\n  Port 2205\n', target: 'alice@x', expect: { user: 'alice', port: 2205 } },
  { name: 'Match localuser tests the local user', config: 'Match localuser root,nobody\n  Port 2206\n', target: 'x' },
  { name: 'Match all matches everything', config: 'Match all\n  Port 2207\n', target: 'x' },
  { name: 'a negated Match criterion', config: 'Match !host x\n  Port 2208\nMatch !host y\n  User noty\n', target: 'x' },
  { name: 'Match exec matches on exit status 0 with tokens expanded', config: 'Match exec "test %h = x"\n  User exec-yes\nMatch exec "test %n = nope"\n  Port 2209\n', target: 'x', expect: { user: 'exec-yes' } },
  { name: 'Match exec is skipped once an earlier criterion failed', config: 'Match host nomatch exec "exit 0"\n  User skipped\n', target: 'x' },
  { name: 'Match final re-reads the config with Host matching the final hostname', config: 'HostName A.%h.B\nMatch final\nHost a.x.b\n  Port 2210\n', target: 'x', expect: { hostname: 'a.x.b', port: 2210 } },
  { name: 'Match canonical matches in the second pass CanonicalizeHostname asks for', config: 'CanonicalizeHostname yes\nMatch canonical\n  Port 2211\n', target: 'x' },
  { name: 'Match canonical does not match without a second pass', config: 'Match canonical\n  Port 2212\n', target: 'x', expect: { port: 22 } },
  { name: 'IdentityFile accumulates and drops duplicates', config: 'Host x\n  IdentityFile ~/.ssh/one\n  IdentityFile ~/.ssh/two\nHost *\n  IdentityFile ~/.ssh/one\n  IdentityFile /abs/%h_%r\n', target: 'x' },
  { name: 'CertificateFile accumulates', config: 'CertificateFile ~/.ssh/a-cert.pub\nCertificateFile ~/.ssh/b-cert.pub\nCertificateFile ~/.ssh/a-cert.pub\n', target: 'x' },
  { name: 'UserKnownHostsFile takes the whole first line, with tokens and ~ expanded', config: 'UserKnownHostsFile ~/kh/%h_%p_%r "~/with space/u_%u" /abs/%d/%n_%k_%i_%L_%l_%C\nUserKnownHostsFile /ignored\n', target: 'X.y' },
  { name: 'UserKnownHostsFile none', config: 'UserKnownHostsFile none\nGlobalKnownHostsFile none\n', target: 'x', expect: { userknownhostsfile: ['none'] } },
  { name: 'GlobalKnownHostsFile is printed as written', config: 'GlobalKnownHostsFile ~/g/%h /etc/other\n', target: 'x' },
  { name: 'StrictHostKeyChecking yes is printed as true', config: 'StrictHostKeyChecking yes\n', target: 'x', expect: { stricthostkeychecking: 'true' } },
  { name: 'StrictHostKeyChecking off is printed as false', config: 'StrictHostKeyChecking OFF\n', target: 'x' },
  { name: 'StrictHostKeyChecking accept-new', config: 'StrictHostKeyChecking accept-new\n', target: 'x' },
  { name: 'yes/no synonyms are normalised', config: 'IdentitiesOnly true\nBatchMode True\nCompression yes\nForwardAgent false\n', target: 'x', expect: { identitiesonly: 'yes', batchmode: 'yes' } },
  { name: 'AddressFamily inet6', config: 'AddressFamily inet6\n', target: 'x' },
  { name: 'BatchMode yes makes the ServerAliveInterval default 300 seconds', config: 'BatchMode yes\n', target: 'x', expect: { serveraliveinterval: 300 } },
  { name: 'time values are normalised to seconds', config: 'ServerAliveInterval 1m30s\nServerAliveCountMax 5\nConnectTimeout 1h\n', target: 'x', expect: { serveraliveinterval: 90, connecttimeout: 3600 } },
  { name: 'ConnectTimeout none leaves the value for a later line', config: 'ConnectTimeout none\nConnectTimeout 10\n', target: 'x', expect: { connecttimeout: 10 } },
  { name: 'ServerAliveInterval none keeps the default', config: 'ServerAliveInterval none\nServerAliveCountMax 0\n', target: 'x' },
  { name: 'ProxyJump with users, ports and several hops', config: 'Host x\n  ProxyJump alice@hop1:2022,hop2,[::1]:22\n', target: 'x' },
  { name: 'ProxyJump with an ssh:// URI', config: 'ProxyJump ssh://u@jump.example:2200\n', target: 'x' },
  { name: 'ProxyCommand keeps the raw line, quotes and tokens', config: 'ProxyCommand ssh -W "%h:%p" gateway # not a comment to ssh\n', target: 'x' },
  { name: 'ProxyCommand first wins over a later ProxyJump', config: 'ProxyCommand nc %h %p\nProxyJump j\n', target: 'x' },
  { name: 'ProxyJump first wins over a later ProxyCommand', config: 'ProxyJump j\nProxyCommand nc %h %p\n', target: 'x' },
  { name: 'ProxyJump none does not block a later ProxyCommand', config: 'ProxyJump none\nProxyCommand nc %h %p\n', target: 'x' },
  { name: 'ProxyCommand none disables a later ProxyJump', config: 'ProxyCommand none\nProxyJump j\n', target: 'x' },
  { name: 'HostKeyAlias is lower-cased', config: 'HostKeyAlias MiXeD-Alias\n', target: 'x', expect: { hostkeyalias: 'mixed-alias' } },
  { name: 'IdentityAgent is ~ and ${ENV} expanded', config: 'Host x\n  IdentityAgent ~/agent/%h/${TESTVAR}.sock\n', target: 'x' },
  { name: 'IdentityAgent SSH_AUTH_SOCK is kept literally', config: 'IdentityAgent SSH_AUTH_SOCK\n', target: 'x' },
  { name: 'ForwardAgent with a path', config: 'ForwardAgent ~/fwd.sock\n', target: 'x' },
  { name: 'SendEnv appends and -pattern removes', config: 'SendEnv LANG LC_*\nSendEnv FOO LANG\nSendEnv -LC_*\n', target: 'x' },
  { name: 'LocalForward accumulates and drops duplicates', config: 'LocalForward 8080 localhost:80\nHost x\n  LocalForward 8080 localhost:80\n  LocalForward 127.0.0.1:8081 [::1]:81\n', target: 'x', expect: { localforward: ['8080 [localhost]:80', '[127.0.0.1]:8081 [::1]:81'] } },
  { name: 'LocalForward with socket paths, tokens and ${ENV}', config: 'LocalForward /tmp/%h.sock host:22\nLocalForward ${TESTVAR}:1 /run/u_%r.sock\n', target: 'x' },
  { name: 'DynamicForward with and without a bind address', config: 'DynamicForward 1080\nDynamicForward *:1081\nDynamicForward 1080\n', target: 'x' },
  { name: 'RemoteForward, also with one argument (remote SOCKS) and port 0', config: 'RemoteForward 9000\nRemoteForward 9001 /tmp/sock\nRemoteForward 0 h:1\n', target: 'x' },
  { name: 'escaped colons and bracketed fields in forwardings', config: 'LocalForward a\\\\:b:1 h:2\nLocalForward [/tmp/x]:5 h:6\n', target: 'x' },
  { name: 'ClearAllForwardings drops every forwarding', config: 'ClearAllForwardings yes\nLocalForward 1 h:2\nDynamicForward 3\n', target: 'x', expect: { localforward: [], dynamicforward: [] } },
  { name: 'Include with a relative glob reads ~/.ssh files in sorted order', config: 'Include conf.d/*.conf\nUser fallback\n', files: { '.ssh/conf.d/20-b.conf': 'Host x\n  Port 2220\n', '.ssh/conf.d/10-a.conf': 'Host x\n  User from-a\n', '.ssh/conf.d/.hidden.conf': 'Host x\n  Port 9\n' }, target: 'x', expect: { user: 'from-a', port: 2220 } },
  { name: 'Include inside an inactive Host block applies nothing', config: 'Host other\n  Include inc.conf\nHost *\n  User outer\n', files: { '.ssh/inc.conf': 'User inner\nHost x\n  Port 2221\n' }, target: 'x', expect: { user: 'outer', port: 22 } },
  { name: 'Include inside an active Host block applies conditionally', config: 'Host x\n  Include inc.conf\n  Port 2223\n', files: { '.ssh/inc.conf': 'User inner\nHost nomatch\n  Port 2222\n' }, target: 'x', expect: { user: 'inner', port: 2223 } },
  { name: 'a Match inside an included file does not change the including block', config: 'Host other\n  Include m.conf\n  User after-inactive\nHost x\n  Include m.conf\n  Port 2260\n', files: { '.ssh/m.conf': 'Match all\n  IdentityFile ~/.ssh/from-match\nHost nomatch\n' }, target: 'x', expect: { port: 2260, identityfile: ['~/.ssh/from-match'] } },
  { name: 'Include with ~/ and glob classes', config: 'Include ~/.ssh/g/[ab]?.conf\n', files: { '.ssh/g/a1.conf': 'User from-a1\n', '.ssh/g/c1.conf': 'User from-c1\n', '.ssh/g/b22.conf': 'Port 9\n', '.ssh/g/b2.conf': 'Port 2261\n' }, target: 'x', expect: { user: 'from-a1', port: 2261 } },
  { name: 'Include of a missing file is ignored', config: 'Include does-not-exist.conf ~/.ssh/also-missing\nUser after\n', target: 'x' },
  { name: 'Include with an absolute path and nested includes', config: 'Include HOME/abs.conf\n', files: { 'abs.conf': 'Include nested.conf\n', '.ssh/nested.conf': 'Port 2224\n' }, target: 'x' },
  { name: 'quotes and backslash escapes in values', config: 'User "a b"\nIdentityFile /path\\ with\\ space/key\nIdentityFile \'/single quoted\'\n', target: 'x' },
  { name: 'the = separator and extra spaces', config: 'Port=2225\nUser = eq\n  HostName\t=  tabs.example\n', target: 'x' },
  { name: 'comments, blank lines and trailing comments', config: '# comment\n\n   \nPort 2226 # trailing\n\t# indented comment\nUser c\n', target: 'x' },
  { name: 'keywords are case-insensitive', config: 'HOSTNAME upper.example\nuSeR mixed\n', target: 'x' },
  { name: 'IgnoreUnknown lets an unknown keyword pass', config: 'IgnoreUnknown UseKeychain,Foo*\nUseKeychain yes\nFooBar 1\n', target: 'x' },
  { name: 'a numeric HostName is canonicalised, not lower-cased', config: 'HostName 127.1\n', target: 'x', expect: { hostname: '127.0.0.1' } },
  { name: 'an IPv6 HostName is compressed', config: 'HostName 0:0:0:0:0:0:0:1\n', target: 'x', expect: { hostname: '::1' } },
  { name: 'an IPv6 HostName differing only in case keeps its case', config: 'HostName ::FFFF:1.2.3.4\n', target: 'x' },
  { name: 'PreferredAuthentications', config: 'PreferredAuthentications publickey,keyboard-interactive\n', target: 'x' },
  { name: 'HostKeyAlgorithms +list appends to the default', config: 'HostKeyAlgorithms +ssh-rsa\n', target: 'x' },
  { name: 'HostKeyAlgorithms -list removes from the default', config: 'HostKeyAlgorithms -ecdsa-*,sk-*\n', target: 'x' },
  { name: 'HostKeyAlgorithms ^list goes first', config: 'HostKeyAlgorithms ^ssh-rsa,rsa-sha2-512\n', target: 'x' },
  { name: 'HostKeyAlgorithms explicit list with a wildcard', config: 'HostKeyAlgorithms ssh-ed25519,rsa-sha2-*\n', target: 'x' },
  { name: 'a user@host target sets the user before the config', config: 'User config\n', target: 'cli@x', expect: { user: 'cli' } },
  { name: 'an ssh:// URL gives host, user and port before the config', config: 'Host x\n  User config\n  Port 1\n', target: 'ssh://url@x:2227', expect: { user: 'url', port: 2227 } },
  { name: 'a Host line of only negated patterns matches nothing', config: 'Host !y\n  User neg\n', target: 'x', expect: { user: 'root' } },
  { name: 'a ? matches one byte of a UTF-8 name, as OpenSSH compares bytes', config: 'Host h?\n  User one\nHost h??\n  User two\n', target: 'h\u00e9', expect: { user: 'two' } },
  { name: 'a bare ~ and ~// expand to the home directory', config: 'UserKnownHostsFile ~ ~//a\n', target: 'x' },
  { name: 'numbers with a sign or leading space are read as strtonum reads them', config: 'Port +2250\nServerAliveCountMax " 7"\nConnectTimeout +5\n', target: 'x' },
  { name: 'the largest integer and time values', config: 'ServerAliveCountMax 2147483647\nConnectTimeout 2147483647\n', target: 'x' },
  { name: 'CRLF line endings', config: 'Host x\r\n  User crlf\r\n  Port 2251\r\n', target: 'x' },
  { name: 'Host=x and Host = x', config: 'Host=x\n  User eq1\nHost = y\n  User eq2\n', target: 'y' },
  { name: 'a quoted keyword', config: '"User" quoted\n', target: 'x' },
  { name: 'IdentityAgent none', config: 'IdentityAgent none\n', target: 'x', expect: { identityagent: 'none' } },
  { name: 'a Match host pattern longer than 1023 bytes never matches', config: `Match host ${'x'.repeat(1100)},x\n  Port 2252\n`, target: 'x', expect: { port: 22 } },
  { name: 'Match originalhost and Host in the final pass', config: 'HostName real.example\nMatch final originalhost x\n  User orig\nHost real.example\n  Port 2253\nMatch final host real.example\n  IdentityFile ~/.ssh/final\n', target: 'x' },
  { name: 'deprecated and unsupported keywords are accepted', config: 'Protocol 2\nUseRoaming no\nRhostsRSAAuthentication no\n', target: 'x' },
  { name: 'a Host block with an empty-looking Match after it', config: 'Host x\n  User hx\nMatch host y\n  User hy\n', target: 'x' },

  // Configs ssh -G refuses: we refuse them too, with file:line and the rule.
  { name: 'Port 0 is refused', config: 'Port 0\n', target: 'x', error: 'CONFIG:1: Port: bad port (1-65535)' },
  { name: 'a port above 65535 is refused', config: 'Host *\n  Port 70000\n', target: 'x', error: 'CONFIG:2: Port: bad port (1-65535)' },
  { name: 'an unknown keyword is refused', config: 'Hostnam typo\n', target: 'x', error: 'CONFIG:1: bad configuration option (unknown keyword)' },
  { name: 'an unknown keyword is refused even in an inactive block', config: 'Host other\n  Bogus 1\n', target: 'x', error: 'CONFIG:2: bad configuration option (unknown keyword)' },
  { name: 'an unterminated quote is refused', config: 'User "open\n', target: 'x', error: 'CONFIG:1: invalid quotes' },
  { name: 'an Include loop is refused', config: 'Include HOME/.ssh/loop.conf\n', files: { '.ssh/loop.conf': 'Include loop.conf\n' }, target: 'x', error: 'HOME/.ssh/loop.conf:1: Include nested more than 16 levels deep (an Include loop?)' },
  { name: 'Match tagged does not exist in OpenSSH 9.2', config: 'Match tagged foo\n  User t\n', target: 'x', error: 'CONFIG:1: bad Match condition: unsupported Match attribute tagged (it needs OpenSSH 9.4)' },
  { name: 'Match all combined with another criterion is refused', config: 'Match all host x\n', target: 'x', error: "CONFIG:1: bad Match condition: 'all' cannot be combined with other Match attributes" },
  { name: 'a Match criterion without its argument is refused', config: 'Match host\n', target: 'x', error: 'CONFIG:1: bad Match condition: missing Match criteria for host' },
  { name: 'an unknown StrictHostKeyChecking value is refused', config: 'StrictHostKeyChecking maybe\n', target: 'x', error: 'CONFIG:1: stricthostkeychecking: unsupported option (expected one of true, false, yes, no, ask, off, accept-new)' },
  { name: 'Compression does not take true', config: 'Compression true\n', target: 'x', error: 'CONFIG:1: compression: unsupported option (expected one of yes, no)' },
  { name: 'a HostName token other than %h and %% is refused', config: 'HostName %d.example\n', target: 'x', error: 'CONFIG:1: HostName: unknown token %d' },
  { name: 'an unset ${VAR} in IdentityAgent is refused', config: 'Host other\n  IdentityAgent ${NOPE_NOT_SET}\n', target: 'x', error: 'CONFIG:2: identityagent: invalid environment expansion (an environment variable it names (${...}) is not set)' },
  { name: 'a keyword without an argument is refused', config: 'User\n', target: 'x', error: 'CONFIG:1: no argument after keyword "user"' },
  { name: 'extra arguments are refused', config: 'Port 22 23\n', target: 'x', error: 'CONFIG:1: port: extra arguments at end of line' },
  { name: 'none must stand alone in UserKnownHostsFile', config: 'UserKnownHostsFile ~/a none\n', target: 'x', error: 'CONFIG:1: userknownhostsfile: "none" must appear alone' },
  { name: 'a jump host that is the target itself is refused', config: 'ProxyJump x\n', target: 'x', error: 'ssh config: ProxyJump: the jump host is the target itself (jump host loop)' },
  { name: 'an invalid time value is refused', config: 'ConnectTimeout 5x\n', target: 'x', error: 'CONFIG:1: connecttimeout: invalid time value' },
  { name: 'an invalid ProxyJump is refused', config: 'ProxyJump user@\n', target: 'x', error: 'CONFIG:1: ProxyJump: invalid jump host list' },
  { name: 'a LocalForward to port 0 is refused', config: 'LocalForward 0 h:1\n', target: 'x', error: 'CONFIG:1: localforward: bad forwarding specification' },
  { name: 'a LocalForward without a target is refused', config: 'LocalForward 8080\n', target: 'x', error: 'CONFIG:1: localforward: missing target argument' },
  { name: 'a forwarding with too many fields is refused', config: 'LocalForward 1:2:3:4 5\n', target: 'x', error: 'CONFIG:1: localforward: bad forwarding specification' },
  { name: 'an integer above INT_MAX is refused', config: 'ServerAliveCountMax 2147483648\n', target: 'x', error: 'CONFIG:1: serveralivecountmax: invalid integer value' },
  { name: 'a time value above INT_MAX seconds is refused', config: 'ConnectTimeout 35791395m\n', target: 'x', error: 'CONFIG:1: connecttimeout: invalid time value' },
  { name: 'an empty quoted HostName is refused', config: 'HostName ""\n', target: 'x', error: 'CONFIG:1: hostname: missing argument' },
  { name: 'an unknown HostKeyAlgorithms name is refused', config: 'HostKeyAlgorithms ssh-foo\n', target: 'x', error: 'CONFIG:1: hostkeyalgorithms: bad key types' },
];

describe('resolveSshTarget() matches ssh -G -F file name', () => {
  let home: Home;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => {
    home.cleanup();
  });

  it('has at least 40 rows that ssh -G accepts', () => {
    expect(rows.filter((r) => r.error === undefined).length).toBeGreaterThanOrEqual(40);
  });

  for (const row of rows) {
    it(row.name, async () => {
      for (const [path, text] of Object.entries(row.files ?? {})) home.write(path, text.split('HOME').join(home.dir));
      const config = home.write('test.config', row.config.split('HOME').join(home.dir));
      const out = await both(home, config, row.target);
      if (row.error !== undefined) {
        expect(out.kind, out.kind === 'mismatch' ? out.detail : '').toBe('both-failed');
        if (out.kind !== 'both-failed') return;
        expect(out.error).toMatchObject({ name: 'TransportError', code: 'ERR_SSH_CONFIG', message: row.error.split('CONFIG').join(config).split('HOME').join(home.dir) });
        return;
      }
      expect(out.kind, out.kind === 'mismatch' ? out.detail : '').toBe('both-ok');
      if (out.kind !== 'both-ok') return;
      expect(Object.fromEntries(out.ours)).toEqual(Object.fromEntries(out.ssh));
      if (row.expect !== undefined) expect(out.result).toMatchObject(row.expect);
    });
  }
});

// Every keyword `ssh -G` prints is accounted for: compared with ours above, reported as a warning
// when set to a value we do not honour, or listed below as having no effect on a dial-stdio
// channel. A keyword a newer OpenSSH adds, or one that starts printing, fails here until classified.
describe('every keyword ssh -G prints is resolved, warned about, or known to change nothing here', () => {
  /** No effect on one `docker system dial-stdio` channel through ssh2, or handled outside ssh_config. */
  const NO_EFFECT = new Set([
    'canonicaldomains', 'canonicalizepermittedcnames', 'canonicalizefallbacklocal', 'canonicalizemaxdots', // used only with CanonicalizeHostname (warned)
    'casignaturealgorithms', 'checkhostip', 'clearallforwardings', 'enableescapecommandline', 'enablesshkeysign', 'escapechar',
    'exitonforwardfailure', 'fingerprinthash', 'forkafterauthentication', 'forwardx11timeout', 'gatewayports', 'gssapidelegatecredentials',
    'gssapikexalgorithms', 'gssapikeyexchange', 'gssapirenewalforcesrekey', 'gssapitrustdns', 'hostbasedacceptedalgorithms', 'ipqos',
    'loglevel', 'logverbose', 'nohostauthenticationforlocalhost', 'numberofpasswordprompts', 'permitremoteopen', 'proxyusefdpass',
    'pubkeyacceptedalgorithms', 'rekeylimit', 'requiredrsasize', 'securitykeyprovider', 'sessiontype', 'stdinnull', 'streamlocalbindmask',
    'streamlocalbindunlink', 'syslogfacility', 'tcpkeepalive', 'tunneldevice', 'updatehostkeys', 'visualhostkey', 'xauthlocation',
    'identityagent', 'ignoreunknown', 'include',
  ]);
  const LIST_WARNINGS = new Set(['certificatefile', 'sendenv', 'localforward', 'remoteforward', 'dynamicforward']);
  const compared = new Set<string>([...SCALARS, ...OPTIONAL, ...MULTILINE, ...ONELINE, 'hostkeyalgorithms']);

  it('with the defaults and with every keyword that prints only when set', () => {
    const home = makeHome();
    onTestFinished(() => {
      home.cleanup();
    });
    const config = home.write(
      '.ssh/all',
      [
        'ControlPath ~/.ssh/cm', 'LocalCommand true', 'RemoteCommand true', 'SetEnv A=b', 'SendEnv LANG', 'CertificateFile ~/c.pub',
        'LocalForward 1 localhost:2', 'RemoteForward 3 localhost:4', 'DynamicForward 5', 'KnownHostsCommand /bin/true', 'RevokedHostKeys ~/krl',
        'PKCS11Provider /x.so', 'BindAddress 127.0.0.1', 'BindInterface lo', 'HostKeyAlias a', 'IdentityAgent none', 'ProxyJump j',
        'PreferredAuthentications publickey', 'ConnectionAttempts 2', '',
      ].join('\n'),
    );
    const printed = new Set<string>();
    for (const file of [config, '/dev/null']) {
      const res = spawnSync(SSH, ['-G', '-F', file, 'x'], { env: home.env, encoding: 'utf8', timeout: 10_000 });
      expect(res.status, res.stderr).toBe(0);
      for (const line of res.stdout.split('\n')) if (line !== '') printed.add(line.split(' ')[0]!.toLowerCase());
    }
    const unclassified = [...printed].filter((k) => !compared.has(k) && !WATCHED_KEYWORDS.has(k) && !LIST_WARNINGS.has(k) && !NO_EFFECT.has(k));
    expect(unclassified).toEqual([]);
    // And the classification is not stale: every listed keyword is one ssh knows.
    for (const k of [...NO_EFFECT, ...WATCHED_KEYWORDS, ...LIST_WARNINGS]) expect(KNOWN_KEYWORDS.has(k), k).toBe(true);
  });
});
