import { test } from '@fast-check/vitest';
import { PassThrough } from 'node:stream';
import { describe, expect } from 'vitest';
import { arbitraries, expectNoSecretLeak } from '@ssh-docker/testkit';
import { Readable } from 'node:stream';
import { readStdinSecrets } from '../src/internal/stdin.js';
import { scrubRemoteText } from '@ssh-docker/url';
import { errorCode, formatMs, Printer, renderError, unwrapConnectError } from '../src/internal/output.js';

const runs = { numRuns: Number(process.env['FC_NUM_RUNS'] ?? 1000) };

function printed(write: (p: Printer) => void): string {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString('utf8')));
  write(new Printer(stream));
  return text;
}

describe('renderError', () => {
  test('prints the code, the message and the fix', () => {
    const err = Object.assign(new Error('authentication failed for deploy@build-1:22 (tried: key ~/.ssh/id_ed25519)'), { code: 'ERR_AUTH_FAILED' });
    expect(renderError(err)).toBe(
      '✗ ERR_AUTH_FAILED: authentication failed for deploy@build-1:22 (tried: key ~/.ssh/id_ed25519)\n' +
        '  fix: check the user (-l or user@), the key (-i) and ~/.ssh/authorized_keys on the host, or load the key into ssh-agent\n',
    );
  });

  test('adds the cause when it says more than the message', () => {
    const err = new Error('the daemon did not answer', { cause: new Error('socket hang up') });
    expect(renderError(Object.assign(err, { code: 'ERR_DAEMON_UNREACHABLE' }))).toBe(
      '✗ ERR_DAEMON_UNREACHABLE: the daemon did not answer\n  cause: socket hang up\n  fix: start dockerd on the host (systemctl start docker) and add the user to the docker group\n',
    );
  });

  test('caller mistakes are ERR_INVALID_ARG, anything else without a code ERR_UNEXPECTED', () => {
    expect(errorCode(new TypeError('x'))).toBe('ERR_INVALID_ARG');
    expect(errorCode(new RangeError('x'))).toBe('ERR_INVALID_ARG');
    expect(errorCode(new Error('x'))).toBe('ERR_UNEXPECTED');
    expect(errorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ERR_UNEXPECTED');
  });

  test('an HTTP connect error is shown as the transport error inside it', () => {
    const cause = Object.assign(new Error('host key changed'), { code: 'ERR_HOST_KEY_CHANGED' });
    const wrapped = Object.assign(new Error('the connector failed', { cause }), { code: 'ERR_HTTP_CONNECT' });
    expect(unwrapConnectError(wrapped)).toBe(cause);
    const timeout = Object.assign(new Error('timed out'), { code: 'ERR_HTTP_TIMEOUT' });
    expect(unwrapConnectError(timeout)).toBe(timeout);
  });

  test.prop([arbitraries.secret().map((s) => Buffer.from(s).toString()).filter((s) => !s.endsWith('\n'))], runs)('an error whose remote text echoed a stdin secret prints without it, in any encoding', async (password) => {
    const bytes = Buffer.from(password);
    const { password: secret } = await readStdinSecrets(Readable.from([Buffer.from(bytes)]), { password: true, passphrase: false });
    if (secret === undefined) return;
    // What a hostile or careless host echoes on dial-stdio's stderr, as the transport quotes it.
    const stderr = `raw ${password}\nurl ssh://u:${encodeURIComponent(password)}@h\nb64 ${bytes.toString('base64')}\njson ${JSON.stringify(password)}`;
    // As the transport quotes remote text in an error (scrubbed where it enters), and the cause too.
    const err = Object.assign(new Error(`docker system dial-stdio on h:2222 ended early. Remote said: ${scrubRemoteText(stderr, [secret])}`, { cause: new Error(scrubRemoteText(`cause ${password}`, [secret])) }), { code: 'ERR_DAEMON_UNREACHABLE' });
    const text = printed((p) => {
      p.write(renderError(err));
    });
    expectNoSecretLeak(password, [text]);
    expect(text).toContain('ERR_DAEMON_UNREACHABLE');
  });
});

describe('Printer', () => {
  test('masks URL passwords even without a known secret', () => {
    expect(printed((p) => p.line('ssh://me:hunter2@host'))).toBe('ssh://me:[redacted]@host\n');
  });
});

describe('formatMs', () => {
  test('shows fractions below 10 ms, whole ms below 10 s, seconds above', () => {
    expect([0.1234, 3.21, 42.4, 9999, 12_345].map(formatMs)).toEqual(['0.12 ms', '3.2 ms', '42 ms', '9999 ms', '12.3 s']);
  });
});
