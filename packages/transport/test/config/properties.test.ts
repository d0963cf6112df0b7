/**
 * Properties of resolveSshTarget(): it never fails in an unexpected way, and on generated simple
 * configs it agrees with the real `ssh -G`.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { resolveSshTarget } from '../../src/config/index.js';
import { both, makeHome } from './oracle.js';
import type { Home } from './oracle.js';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);
// Each differential run spawns ssh: a tenth of the runs, at least 20.
const sshRuns = Math.max(20, Math.floor(numRuns / 10));

let home: Home;
beforeAll(() => {
  home = makeHome();
  home.write('.ssh/inc.conf', 'Host x*\n  Port 2300\n  User inc\n');
  home.write('.ssh/inc2.conf', 'Match host y\n  IdentityFile ~/.ssh/inc2\n');
});
afterAll(() => {
  home.cleanup();
});

const keywords = ['Host', 'Match', 'Include', 'HostName', 'User', 'Port', 'IdentityFile', 'CertificateFile', 'UserKnownHostsFile', 'GlobalKnownHostsFile', 'StrictHostKeyChecking', 'ProxyJump', 'ProxyCommand', 'IdentityAgent', 'ForwardAgent', 'ConnectTimeout', 'ServerAliveInterval', 'ServerAliveCountMax', 'SendEnv', 'HostKeyAlias', 'HostKeyAlgorithms', 'IgnoreUnknown', 'BatchMode', 'Compression', 'AddressFamily', 'CanonicalizeHostname', 'Bogus'];

/** Words without `/`: an Include can then only reach the test home's ~/.ssh. */
const word = fc.oneof(
  fc.constantFrom('x', 'y', 'x.example', '*', '?', '!x', 'none', 'yes', 'no', 'all', 'host', 'user', 'exec', 'final', 'canonical', 'originalhost', '%h', '%p', '%r', '%%', '%d', '%q', '${HOME}', '${NOPE}', '~', '1m', '0', '65536', '"', "'", '\\', '#', '=', 'inc.conf', 'inc*'),
  fc.string({ maxLength: 8 }).map((s) => s.replace(/\//g, '')),
);
const line = fc.tuple(fc.constantFrom(...keywords), fc.array(word, { maxLength: 4 }), fc.constantFrom(' ', '=', '\t', ' = ')).map(([k, args, sep]) => `${k}${sep}${args.join(' ')}`);
const configText = fc.oneof(
  fc.array(line, { maxLength: 12 }).map((lines) => lines.join('\n')),
  fc.string({ unit: 'binary', maxLength: 300 }).map((s) => s.replace(/\//g, '')),
);

describe('resolveSshTarget() on any config text', () => {
  fcTest.prop([configText, fc.constantFrom('x', 'y', 'u@x', 'X.Example')], { numRuns })('either resolves or throws ERR_SSH_CONFIG, never anything else', async (text, target) => {
    try {
      const r = await resolveSshTarget(target, { configText: text, homeDir: home.dir, localUser: 'tester', localUid: 1000, localHostname: 'box.example', env: home.env, matchExec: false });
      expect(typeof r.hostname).toBe('string');
      expect(Number.isInteger(r.port)).toBe(true);
    } catch (err) {
      expect(err).toMatchObject({ name: 'TransportError', code: 'ERR_SSH_CONFIG' });
    }
  });
});

/** A value that stands for a secret pasted into a config by mistake. */
const secret = fc.stringMatching(/^[A-Za-z0-9]{10,16}$/).map((s) => `Zq9${s}`);
const secretLine = fc.tuple(
  fc.constantFrom('{S}', 'Port {S}', 'User {S} extra', 'StrictHostKeyChecking {S}', 'Match {S} x', 'Match host x {S}', 'Match {S}', 'IdentityAgent ${{S}}', 'UserKnownHostsFile ~/%{S}', 'HostName %{S}', 'ConnectTimeout {S}', 'ProxyJump {S}@', 'LocalForward {S} x', 'HostKeyAlgorithms {S}', '{S} value', 'SendEnv {S}=1', 'IdentityFile "{S}', 'Host {S} ""'),
  fc.constantFrom('', '  ', 'Host x\n  '),
);

describe('resolveSshTarget() error messages', () => {
  fcTest.prop([secret, secretLine], { numRuns })('never contain a value from the config', async (value, [template, prefix]) => {
    const text = `${prefix}${template.split('{S}').join(value)}\n`;
    try {
      await resolveSshTarget('x', { configText: text, homeDir: home.dir, localUser: 'tester', localUid: 1000, localHostname: 'box.example', env: home.env, matchExec: false });
    } catch (err) {
      expect(err).toMatchObject({ code: 'ERR_SSH_CONFIG' });
      expect(String(err)).not.toContain(value);
      expect(JSON.stringify(err)).not.toContain(value);
    }
  });
});

/** Simple configs made of pieces whose meaning ssh and we must agree on. */
const hostPattern = fc.constantFrom('x', 'y', '*', 'x*', '?', '!x', '!y', 'X', 'x.example', '*.example', 'a,x');
const matchCriterion = fc.constantFrom('all', 'host x', 'host X,y', 'host !x', '!host y', 'originalhost x', 'user bob', 'user root', 'localuser root', 'final', 'canonical', 'host *.example', 'exec true', 'exec false', 'exec "test %h = x"');
const setting = fc.oneof(
  fc.constantFrom('User', 'HostName', 'HostKeyAlias').chain((k) => fc.constantFrom('bob', 'alice', '%h.example', 'X.example', 'y').map((v) => `${k} ${v}`)),
  fc.constantFrom('1', '22', '2222', '65535', '0', 'ssh2').map((v) => `Port ${v}`),
  fc.constantFrom('~/.ssh/a', '~/.ssh/b', '/k/%h_%r', '"~/sp ace"').map((v) => `IdentityFile ${v}`),
  fc.constantFrom('~/kh', '~/kh1 ~/kh2', 'none', '/kh/%h_%p', '"~/a b" /c').map((v) => `UserKnownHostsFile ${v}`),
  fc.constantFrom('yes', 'no', 'ask', 'accept-new', 'off', 'TRUE', 'bad').map((v) => `StrictHostKeyChecking ${v}`),
  fc.constantFrom('j1', 'u@j1:2222', 'none', 'a,b', 'x').map((v) => `ProxyJump ${v}`),
  fc.constantFrom('nc %h %p', 'none', 'ssh -W "%h:%p" gw').map((v) => `ProxyCommand ${v}`),
  fc.constantFrom('10', '1m', 'none', '1h2m3s', 'x').map((v) => `ConnectTimeout ${v}`),
  fc.constantFrom('0', '15', '2m').map((v) => `ServerAliveInterval ${v}`),
  fc.constantFrom('LANG', 'LC_*', '-LC_*', 'A B').map((v) => `SendEnv ${v}`),
  fc.constantFrom('yes', 'no').chain((v) => fc.constantFrom('BatchMode', 'IdentitiesOnly', 'Compression', 'ForwardAgent').map((k) => `${k} ${v}`)),
  fc.constantFrom('any', 'inet', 'inet6').map((v) => `AddressFamily ${v}`),
  fc.constantFrom('inc.conf', 'inc*.conf', 'missing.conf').map((v) => `Include ${v}`),
  fc.constantFrom('yes', 'no', 'always').map((v) => `CanonicalizeHostname ${v}`),
  fc.constantFrom('LocalForward 8080 h:80', 'LocalForward 1:2 3', 'LocalForward [a]:1 /s/%h', 'RemoteForward 9000', 'RemoteForward 0 h:1', 'DynamicForward 1080', 'DynamicForward x:0', 'ClearAllForwardings yes', 'LocalForward a\\:b:1 h:2', 'LocalForward /p/%q h:1'),
  fc.constantFrom('127.1', '::1', 'X:', '0x7f.0.0.1', '%h', 'A.%h').map((v) => `HostName ${v}`),
  fc.constantFrom('Foo*', 'foo', 'bogus').map((v) => `IgnoreUnknown ${v}`),
  fc.constantFrom('FooBar 1', 'Bogus 2').map((v) => v),
  fc.constantFrom('+ssh-rsa', '-ecdsa*', '^rsa-sha2-*', 'ssh-ed25519,*', 'nope', '!ssh-rsa').map((v) => `HostKeyAlgorithms ${v}`),
);
const block = fc.tuple(
  fc.oneof(
    fc.constant(''),
    fc.array(hostPattern, { minLength: 1, maxLength: 3 }).map((p) => `Host ${p.join(' ')}\n`),
    fc.array(matchCriterion, { minLength: 1, maxLength: 2 }).map((c) => `Match ${c.join(' ')}\n`),
  ),
  fc.array(setting, { maxLength: 4 }),
).map(([head, settings]) => head + settings.map((s) => `  ${s}\n`).join(''));
const simpleConfig = fc.array(block, { maxLength: 5 }).map((b) => b.join(''));

describe('resolveSshTarget() against ssh -G on generated configs', () => {
  fcTest.prop([simpleConfig, fc.constantFrom('x', 'y', 'X', 'bob@x', 'x.example', 'z')], { numRuns: sshRuns })('agrees with ssh -G: same values, or both refuse', async (text, target) => {
    const config = home.write('generated.config', text);
    const out = await both(home, config, target);
    expect(out.kind, out.kind === 'mismatch' ? `${out.detail}\n--- config ---\n${text}` : '').not.toBe('mismatch');
    if (out.kind === 'both-ok') expect(Object.fromEntries(out.ours)).toEqual(Object.fromEntries(out.ssh));
    if (out.kind === 'both-failed') expect(out.error).toMatchObject({ code: 'ERR_SSH_CONFIG' });
  });
});

/** Lines of characters that stress quoting, escapes, separators, comments and tokens (no Match, so no commands run). */
const lexicalKeyword = fc.constantFrom('LocalForward', 'RemoteForward', 'DynamicForward', 'Host', 'HostName', 'User', 'Port', 'IdentityFile', 'UserKnownHostsFile', 'StrictHostKeyChecking', 'ProxyJump', 'ProxyCommand', 'IdentityAgent', 'ConnectTimeout', 'ServerAliveCountMax', 'SendEnv', 'HostKeyAlias', 'hostname', 'PORT');
const lexicalChar = fc.constantFrom('a', '/', '8', '0', 'x', 'X', '1', '2', ' ', '\t', '"', "'", '\\', '=', '#', '%', 'h', 'p', '$', '{', '}', '~', ',', '@', ':', '[', ']', '*', '?', '!', '-', '.');
const lexicalLine = fc
  .tuple(fc.constantFrom('', ' ', '\t'), lexicalKeyword, fc.array(lexicalChar, { minLength: 1, maxLength: 14 }))
  .map(([indent, k, chars]) => `${indent}${k}${chars.join('')}`);

describe('resolveSshTarget() against ssh -G on quoting and escaping', () => {
  fcTest.prop([fc.array(lexicalLine, { minLength: 1, maxLength: 4 }), fc.constantFrom('x', 'X', 'x1')], { numRuns: sshRuns })('agrees with ssh -G: same values, or both refuse', async (lines, target) => {
    const text = `${lines.join('\n')}\n`;
    const config = home.write('lexical.config', text);
    const out = await both(home, config, target);
    expect(out.kind, out.kind === 'mismatch' ? `${out.detail}\n--- config ---\n${text}` : '').not.toBe('mismatch');
    if (out.kind === 'both-ok') expect(Object.fromEntries(out.ours), text).toEqual(Object.fromEntries(out.ssh));
  });
});
