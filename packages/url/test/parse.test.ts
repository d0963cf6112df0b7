import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { formatSshUrl, parseSshUrl, Secret, UrlError } from '../src/index.js';
import type { UrlErrorCode } from '../src/index.js';

function plain(input: string): Record<string, unknown> {
  const url = parseSshUrl(input);
  const fields = JSON.parse(JSON.stringify(url)) as Record<string, unknown>;
  return { ...fields, password: url.password?.use((b) => Buffer.from(b).toString('utf8')) };
}

describe('parseSshUrl accepts', () => {
  it.each([
    ['ssh://host', { host: 'host' }],
    ['ssh://host/', { host: 'host' }],
    ['ssh://host///', { host: 'host' }],
    ['SSH://Host.Example.COM', { host: 'Host.Example.COM' }],
    ['ssh://user@host', { host: 'host', user: 'user' }],
    ['ssh://user@host:22', { host: 'host', user: 'user', port: 22 }],
    ['ssh://user@host:0022', { host: 'host', user: 'user', port: 22 }],
    ['ssh://host:1', { host: 'host', port: 1 }],
    ['ssh://host:65535', { host: 'host', port: 65535 }],
    ['ssh://[::1]:2222', { host: '::1', port: 2222 }],
    ['ssh://[::1]', { host: '::1' }],
    ['ssh://u@[2001:db8::7]:22', { host: '2001:db8::7', user: 'u', port: 22 }],
    ['ssh://[::ffff:192.0.2.1]', { host: '::ffff:192.0.2.1' }],
    ['ssh://[fe80::1%25eth0]:22', { host: 'fe80::1%eth0', port: 22 }],
    ['ssh://[1:2:3:4:5:6:7:8]', { host: '1:2:3:4:5:6:7:8' }],
    ['ssh://192.0.2.10:2200', { host: '192.0.2.10', port: 2200 }],
    ['ssh://u%40corp@h', { host: 'h', user: 'u@corp' }],
    ['ssh://d%C3%A9ploy@h', { host: 'h', user: 'déploy' }],
    ['ssh://host_with_underscore', { host: 'host_with_underscore' }],
    ['ssh://u:p@h', { host: 'h', user: 'u', password: 'p' }],
    ['ssh://u:@h', { host: 'h', user: 'u', password: '' }],
    ['ssh://u:p%40ss%3Aw%2Fo%3Frd%23@h:2', { host: 'h', user: 'u', password: 'p@ss:w/o?rd#', port: 2 }],
    ['ssh://u:p@ss@h', { host: 'h', user: 'u', password: 'p@ss' }],
    ['ssh://u:p%20w@h', { host: 'h', user: 'u', password: 'p w' }],
  ])('%s', (input, expected) => {
    expect(plain(input)).toEqual({ password: undefined, ...expected });
  });

  it('reports a legacy socket path as ignored, collapsing leading slashes', () => {
    expect(parseSshUrl('ssh://u@h///var/run/docker.sock').ignoredSocketPath).toBe('/var/run/docker.sock');
    expect(parseSshUrl('ssh://u@h:22/run/user/1000/docker.sock').ignoredSocketPath).toBe('/run/user/1000/docker.sock');
  });

  it('keeps a shell-looking path as an ignored string and nothing more', () => {
    const url = parseSshUrl('ssh://user@host/$(reboot)');
    expect(url.ignoredSocketPath).toBe('/$(reboot)');
    expect(url.host).toBe('host');
    expect(url.user).toBe('user');
  });

  it('leaves out the fields the URL does not give, so that ssh_config can supply them', () => {
    const url = parseSshUrl('ssh://h');
    expect(Object.keys(url)).toEqual(['host']);
    expect('port' in url).toBe(false);
    expect('user' in url).toBe(false);
    expect('password' in url).toBe(false);
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(parseSshUrl('ssh://u@h:2'))).toBe(true);
  });

  it('accepts a URL without a password when passwords are refused', () => {
    expect(parseSshUrl('ssh://u@h', { allowPassword: false }).user).toBe('u');
  });
});

describe('parseSshUrl refuses', () => {
  const cases: [string, UrlErrorCode, string][] = [
    ['tcp://h:2375', 'ERR_SSH_URL_SCHEME', 'only ssh:// URLs are supported: ssh-docker speaks SSH only; a unix://, tcp://, npipe:// or http(s):// Docker host needs no SSH, so point the Docker client (or the docker CLI) at it directly'],
    ['https://h', 'ERR_SSH_URL_SCHEME', 'only ssh:// URLs are supported: ssh-docker speaks SSH only; a unix://, tcp://, npipe:// or http(s):// Docker host needs no SSH, so point the Docker client (or the docker CLI) at it directly'],
    ['host', 'ERR_SSH_URL_SCHEME', 'Docker host URL must start with ssh://; write ssh://[user@]host[:port]'],
    ['', 'ERR_SSH_URL_SCHEME', 'Docker host URL must start with ssh://; write ssh://[user@]host[:port]'],
    ['ssh:host', 'ERR_SSH_URL_MALFORMED', "ssh URL must have '//' after 'ssh:'; write ssh://[user@]host[:port]"],
    ['ssh://', 'ERR_SSH_URL_HOST', 'ssh URL has an empty host; write ssh://[user@]host[:port]'],
    ['ssh://u@', 'ERR_SSH_URL_HOST', 'ssh URL has an empty host; write ssh://[user@]host[:port]'],
    ['ssh://u@:22', 'ERR_SSH_URL_HOST', 'ssh URL has an empty host; write ssh://[user@]host[:port]'],
    ['ssh://-oProxyCommand=x', 'ERR_SSH_URL_INJECTION', "ssh URL host must not start with '-': ssh would read it as an option"],
    ['ssh://u@-oProxyCommand=x', 'ERR_SSH_URL_INJECTION', "ssh URL host must not start with '-': ssh would read it as an option"],
    ['ssh://-oProxyCommand=x@h', 'ERR_SSH_URL_INJECTION', "ssh URL user name must not start with '-': ssh would read it as an option"],
    ['ssh://%2DoProxyCommand=x@h', 'ERR_SSH_URL_INJECTION', "ssh URL user name must not start with '-': ssh would read it as an option"],
    ['ssh://h:0', 'ERR_SSH_URL_PORT', 'ssh URL port must be a number from 1 to 65535'],
    ['ssh://h:65536', 'ERR_SSH_URL_PORT', 'ssh URL port must be a number from 1 to 65535'],
    ['ssh://h:123456', 'ERR_SSH_URL_PORT', 'ssh URL port must be a number from 1 to 65535'],
    ['ssh://h:22a', 'ERR_SSH_URL_PORT', 'ssh URL port must be a number from 1 to 65535'],
    ['ssh://h:+22', 'ERR_SSH_URL_PORT', 'ssh URL port must be a number from 1 to 65535'],
    ['ssh://h:-1', 'ERR_SSH_URL_PORT', 'ssh URL port must be a number from 1 to 65535'],
    ['ssh://h:', 'ERR_SSH_URL_PORT', "ssh URL port must be a number from 1 to 65535; write one after the ':' or leave out the ':'"],
    ['ssh://h?x=1', 'ERR_SSH_URL_QUERY', 'ssh URL must not have a query (?) or fragment (#); in a password write ? as %3F and # as %23'],
    ['ssh://h#frag', 'ERR_SSH_URL_QUERY', 'ssh URL must not have a query (?) or fragment (#); in a password write ? as %3F and # as %23'],
    ['ssh://u:pa#ss@h', 'ERR_SSH_URL_QUERY', 'ssh URL must not have a query (?) or fragment (#); in a password write ? as %3F and # as %23'],
    ['ssh://u:pa/ss@h', 'ERR_SSH_URL_MALFORMED', "ssh URL has '@' after a '/'; in a user name or password write / as %2F and @ as %40"],
    ['ssh://h x', 'ERR_SSH_URL_CHARS', 'ssh URL contains whitespace or a control character; remove it, or percent-encode it in a password'],
    ['ssh://h\0', 'ERR_SSH_URL_CHARS', 'ssh URL contains whitespace or a control character; remove it, or percent-encode it in a password'],
    ['ssh://h\n', 'ERR_SSH_URL_CHARS', 'ssh URL contains whitespace or a control character; remove it, or percent-encode it in a password'],
    ['ssh://h\u001b[31m', 'ERR_SSH_URL_CHARS', 'ssh URL contains whitespace or a control character; remove it, or percent-encode it in a password'],
    ['ssh://h\u202e', 'ERR_SSH_URL_CHARS', 'ssh URL contains whitespace or a control character; remove it, or percent-encode it in a password'],
    ['ssh://h\u00a0', 'ERR_SSH_URL_CHARS', 'ssh URL contains whitespace or a control character; remove it, or percent-encode it in a password'],
    [' ssh://h', 'ERR_SSH_URL_CHARS', 'ssh URL contains whitespace or a control character; remove it, or percent-encode it in a password'],
    ['ssh://u%0A@h', 'ERR_SSH_URL_CHARS', 'ssh URL user name contains whitespace or a control character after percent-decoding; remove it'],
    ['ssh://u%FF@h', 'ERR_SSH_URL_CHARS', 'ssh URL user name is not valid UTF-8 after percent-decoding'],
    ['ssh://u%G0@h', 'ERR_SSH_URL_MALFORMED', "ssh URL user name has a '%' not followed by two hex digits; write % as %25"],
    ['ssh://u:p%2@h', 'ERR_SSH_URL_MALFORMED', "ssh URL password has a '%' not followed by two hex digits; write % as %25"],
    ['ssh://@h', 'ERR_SSH_URL_MALFORMED', 'ssh URL has an empty user name; write ssh://user@host, or leave out the @'],
    ['ssh://:p@h', 'ERR_SSH_URL_MALFORMED', 'ssh URL has an empty user name; write ssh://user@host, or leave out the @'],
    ['ssh://::1', 'ERR_SSH_URL_HOST', 'ssh URL host is an IPv6 address without brackets; write it as ssh://[2001:db8::1]:22'],
    ['ssh://[::1', 'ERR_SSH_URL_HOST', "ssh URL IPv6 address is missing its closing ']'"],
    ['ssh://[::g]', 'ERR_SSH_URL_HOST', 'ssh URL host in brackets is not a valid IPv6 address'],
    ['ssh://[host]', 'ERR_SSH_URL_HOST', 'ssh URL host in brackets is not a valid IPv6 address'],
    ['ssh://[1:2:3:4:5:6:7:8:9]', 'ERR_SSH_URL_HOST', 'ssh URL host in brackets is not a valid IPv6 address'],
    ['ssh://[::1]x', 'ERR_SSH_URL_MALFORMED', "only ':port' may follow the ']' of an IPv6 address"],
    ['ssh://h[1]', 'ERR_SSH_URL_HOST', 'ssh URL may have brackets only around a whole IPv6 address, as in ssh://[::1]:22'],
    ['ssh://h%41', 'ERR_SSH_URL_HOST', "ssh URL host may contain only letters, digits, '.', '-' and '_'; write international names in punycode and IPv6 in brackets"],
    ['ssh://bücher.example', 'ERR_SSH_URL_HOST', "ssh URL host may contain only letters, digits, '.', '-' and '_'; write international names in punycode and IPv6 in brackets"],
    ['ssh://h;reboot', 'ERR_SSH_URL_HOST', "ssh URL host may contain only letters, digits, '.', '-' and '_'; write international names in punycode and IPv6 in brackets"],
    [`ssh://${'a'.repeat(254)}`, 'ERR_SSH_URL_HOST', 'ssh URL host is longer than 253 characters'],
    [`ssh://h/${'a'.repeat(9000)}`, 'ERR_SSH_URL_MALFORMED', 'ssh URL is longer than 8192 characters'],
  ];

  it.each(cases)('%j with %s', (input, code, message) => {
    let caught: unknown;
    try {
      parseSshUrl(input);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(UrlError);
    expect((caught as UrlError).code).toBe(code);
    expect((caught as UrlError).message).toBe(message);
    expect((caught as UrlError).name).toBe('UrlError');
    expect((caught as Error).cause).toBeUndefined();
  });

  it('a password when passwords are not allowed, as the docker CLI does', () => {
    expect(() => parseSshUrl('ssh://u:hunter2@h', { allowPassword: false })).toThrow(
      expect.objectContaining({
        code: 'ERR_SSH_URL_PASSWORD',
        message: 'a password in the ssh URL is not allowed here; use an SSH key, ssh-agent, or pass the password separately',
      }),
    );
    expect(() => parseSshUrl('ssh://u:@h', { allowPassword: false })).toThrow(expect.objectContaining({ code: 'ERR_SSH_URL_PASSWORD' }));
  });

  it('a value that is not a string, as a caller mistake', () => {
    expect(() => parseSshUrl(42 as unknown as string)).toThrow(new TypeError('parseSshUrl() takes the URL as a string'));
  });
});

describe('an SshUrl renders without its password', () => {
  const url = parseSshUrl('ssh://ci:hunter2@build-1:2222');

  it('in String() and template literals', () => {
    expect(String(url)).toBe('ssh://ci:[redacted]@build-1:2222');
    // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the rendering under test
    expect(`${url}`).toBe('ssh://ci:[redacted]@build-1:2222');
  });

  it('in JSON.stringify', () => {
    expect(JSON.stringify(url)).toBe('{"host":"build-1","port":2222,"user":"ci","password":"[redacted]"}');
  });

  it('in util.inspect, hidden properties included', () => {
    const shown = inspect(url, { showHidden: true, depth: null });
    expect(shown).toBe('SshUrl <ssh://ci:[redacted]@build-1:2222>');
    expect(inspect({ nested: [url] }, { showHidden: true, depth: null })).not.toContain('hunter2');
  });
});

describe('formatSshUrl', () => {
  it('writes the password only when asked, percent-encoded', () => {
    const parts = { host: 'h', user: 'u', password: Secret.from('p w@/') };
    expect(formatSshUrl(parts)).toBe('ssh://u:[redacted]@h');
    expect(formatSshUrl(parts, { includePassword: true })).toBe('ssh://u:p%20w%40%2F@h');
  });

  it('puts IPv6 addresses in brackets and encodes a zone', () => {
    expect(formatSshUrl({ host: '::1', port: 2222, user: 'u@corp' })).toBe('ssh://u%40corp@[::1]:2222');
    expect(formatSshUrl({ host: 'fe80::1%eth0' })).toBe('ssh://[fe80::1%25eth0]');
  });

  it('refuses to write what parseSshUrl would refuse', () => {
    expect(() => formatSshUrl({ host: '-oProxyCommand=x' })).toThrow(expect.objectContaining({ code: 'ERR_SSH_URL_INJECTION' }));
    expect(() => formatSshUrl({ host: 'h', user: '-l' })).toThrow(expect.objectContaining({ code: 'ERR_SSH_URL_INJECTION' }));
    expect(() => formatSshUrl({ host: 'h', port: 0 })).toThrow(expect.objectContaining({ code: 'ERR_SSH_URL_PORT' }));
    expect(() => formatSshUrl({ host: 'h', password: Secret.from('x') })).toThrow(TypeError);
    expect(() => formatSshUrl({ host: 'h', ignoredSocketPath: '/a?b' })).toThrow(TypeError);
  });

  it('writes a cleared password as redacted and refuses to include it', () => {
    const password = Secret.from('x');
    password.clear();
    expect(formatSshUrl({ host: 'h', user: 'u', password })).toBe('ssh://u:[redacted]@h');
    expect(() => formatSshUrl({ host: 'h', user: 'u', password }, { includePassword: true })).toThrow(
      new TypeError('this Secret was cleared after use; supply a new one'),
    );
  });
});
