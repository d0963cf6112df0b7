import type { Server as HttpServer } from 'node:http';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { DockerClient, type HttpError } from '../../src/index.js';
import { startHttpServer, type LocalServer } from '../helpers/servers.js';

// Audit 11.8: with X-Registry-Auth sent and the daemon (or the registry behind it) echoing the
// password back, the base64 `user:pass` form, the percent-encoded and the JSON-escaped forms came
// through in err.daemonMessage, and a 3-character password was not scrubbed at all. Every line of a
// daemon message that holds a credential of the request, in any of those forms, is now withheld.

let server: LocalServer<HttpServer>;
let client: DockerClient;

/** The daemon's message for this request: the body's `echo` field, sent back as Docker's `{"message": …}` JSON. */
beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const echo = (JSON.parse(body || '{}') as { echo?: string }).echo ?? '';
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `pull failed\n${echo}\nsee the registry's logs` }));
    });
  });
  client = new DockerClient(server.connect, { apiVersion: '1.41' });
});

afterAll(async () => {
  client.close();
  await server.close();
});

async function daemonMessage(password: string, echo: (auth: string) => string): Promise<string> {
  const auth = Buffer.from(JSON.stringify({ username: 'deploy', password, serveraddress: 'registry.test' })).toString('base64url');
  const err = await client
    .request({ method: 'POST', path: '/images/create', headers: { 'X-Registry-Auth': auth }, body: JSON.stringify({ echo: echo(auth) }) })
    .then(
      () => {
        throw new Error('expected ERR_HTTP_STATUS');
      },
      (e: unknown) => e as HttpError,
    );
  expect(err.code).toBe('ERR_HTTP_STATUS');
  return err.daemonMessage ?? '';
}

const PASSWORD = 'p"q\r/ü€ x';
const WITHHELD = '[withheld: it held a credential of the request]';
const FORMS: Readonly<Record<string, (password: string, auth: string) => string>> = {
  raw: (p) => `login as deploy with ${p} refused`,
  'base64 user:pass': (p) => `Basic ${Buffer.from(`deploy:${p}`).toString('base64')}`,
  'base64url user:pass': (p) => `token=${Buffer.from(`deploy:${p}`).toString('base64url')}`,
  'percent-encoded': (p) => `GET /token?password=${encodeURIComponent(p)}`,
  'form-encoded': (p) => `body: password=${new URLSearchParams({ p }).toString().slice(2)}`,
  'JSON-escaped': (p) => `{"password":${JSON.stringify(p)}}`,
  'JSON \\u-escaped': (p) => `{"password":"${Array.from(p, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"}`,
  'the auth header itself': (_p, auth) => `X-Registry-Auth: ${auth}`,
  'base64 of the auth JSON': (_p, auth) => `auth ${Buffer.from(Buffer.from(auth, 'base64url').toString('utf8')).toString('base64')}`,
};

describe('a daemon that echoes the registry password back, in another form', () => {
  for (const [name, form] of Object.entries(FORMS)) {
    for (const password of [PASSWORD, 'k3y']) {
      test(`${name}, password ${JSON.stringify(password)}: the line is withheld, the rest of the message kept`, async () => {
        const message = await daemonMessage(password, (auth) => form(password, auth));
        // A raw password with a line break in it spans lines: then the whole message is withheld.
        const spans = name === 'raw' && /[\r\n]/.test(password);
        expect(message).toBe(spans ? WITHHELD : `pull failed\n${WITHHELD}\nsee the registry's logs`);
      });
    }
  }

  test('a message that holds no credential is kept whole, and a short password inside ordinary words is not masked in place', async () => {
    expect(await daemonMessage('zz9', () => 'manifest unknown')).toBe("pull failed\nmanifest unknown\nsee the registry's logs");
    const message = await daemonMessage('key', () => 'no such key');
    // Withheld, never "no such [redacted]": a mask would tell the password's letters.
    expect(message).not.toMatch(/redacted|\*\*\*/);
    expect(message).not.toContain('key');
  });

  test.prop([fc.string({ minLength: 1, maxLength: 24 }), fc.constantFrom(...Object.keys(FORMS))], { numRuns: 200 })(
    'no form of any password survives in err.daemonMessage',
    async (password, name) => {
      const form = FORMS[name]!;
      const message = await daemonMessage(password, (auth) => form(password, auth));
      const bytes = Buffer.from(password);
      for (const leak of [password, JSON.stringify(password).slice(1, -1), encodeURIComponent(password), bytes.toString('base64'), Buffer.from(`deploy:${password}`).toString('base64')]) {
        expect(message.includes(leak)).toBe(false);
      }
    },
  );
});
