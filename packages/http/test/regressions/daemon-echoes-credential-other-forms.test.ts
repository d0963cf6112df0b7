import type { Server as HttpServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DockerClient, demux, type HttpError } from '../../src/index.js';
import { startHttpServer, type LocalServer } from '../helpers/servers.js';

// Adversarial review (adv2): forms of a request's credential that still came back in
// err.daemonMessage after the fix of daemon-echoes-credential-encoded: the password inside the
// `auth` field (base64 user:pass) of a registry auth JSON, a registry auth header sent as plain
// JSON, a token cut by the error body bound (its first half kept), a type-3 frame read by demux(),
// HTML entities, double percent-encoding, JSON inside JSON, and form-encoding of JSON.

let server: LocalServer<HttpServer>;
let client: DockerClient;

interface Echo {
  readonly echo: string;
  /** Send the echo as the whole body (text), not inside Docker's JSON `message`. */
  readonly raw?: boolean;
  /** Send the echo as a type-3 frame of a 200 multiplexed stream. */
  readonly frame?: boolean;
}

beforeAll(async () => {
  server = await startHttpServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const { echo, raw = false, frame = false } = JSON.parse(body) as Echo;
      if (frame) {
        const payload = Buffer.from(echo);
        const header = Buffer.alloc(8);
        header[0] = 3;
        header.writeUInt32BE(payload.length, 4);
        res.writeHead(200, { 'Content-Type': 'application/vnd.docker.multiplexed-stream' });
        res.end(Buffer.concat([header, payload]));
        return;
      }
      res.writeHead(500, { 'Content-Type': raw ? 'text/plain' : 'application/json' });
      res.end(raw ? echo : JSON.stringify({ message: `pull failed\n${echo}\nsee the registry's logs` }));
    });
  });
  client = new DockerClient(server.connect, { apiVersion: '1.41' });
});

afterAll(async () => {
  client.close();
  await server.close();
});

async function daemonMessage(headers: Record<string, string>, echo: Echo): Promise<string> {
  const err = await client.request({ method: 'POST', path: '/images/create', headers, body: JSON.stringify(echo) }).then(
    () => {
      throw new Error('expected ERR_HTTP_STATUS');
    },
    (e: unknown) => e as HttpError,
  );
  expect(err.code).toBe('ERR_HTTP_STATUS');
  return err.daemonMessage ?? '';
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');
const authHeader = (config: object): string => Buffer.from(JSON.stringify(config)).toString('base64url');
const WITHHELD = '[withheld: it held a credential of the request]';

describe('a registry auth whose password is only inside its `auth` field (base64 user:pass)', () => {
  const password = 'hunter2x';
  test('X-Registry-Auth {auth}: the daemon saying the password raw', async () => {
    const headers = { 'X-Registry-Auth': authHeader({ auth: b64(`deploy:${password}`), serveraddress: 'registry.test' }) };
    const message = await daemonMessage(headers, { echo: `login as deploy with ${password} refused` });
    expect(message).not.toContain(password);
    expect(message).toBe(`pull failed\n${WITHHELD}\nsee the registry's logs`);
  });

  test('X-Registry-Config {registry: {auth}}: the daemon saying the password raw', async () => {
    const headers = { 'X-Registry-Config': authHeader({ 'registry.test': { auth: b64(`deploy:${password}`) } }) };
    const message = await daemonMessage(headers, { echo: `login as deploy with ${password} refused` });
    expect(message).not.toContain(password);
  });
});

test('an X-Registry-Auth sent as plain JSON: the password inside it, said raw', async () => {
  const headers = { 'X-Registry-Auth': JSON.stringify({ username: 'deploy', password: 'hunter2x' }) };
  expect(await daemonMessage(headers, { echo: 'login as deploy with hunter2x refused' })).not.toContain('hunter2x');
});

describe('a password with HTML/JSON/URL specials, echoed in another encoding', () => {
  const password = 'p@ss w<rd&"1';
  const headers = { 'X-Registry-Auth': authHeader({ username: 'deploy', password, serveraddress: 'registry.test' }) };
  const forms: Readonly<Record<string, string>> = {
    'HTML entities (a registry error page)': `<p>bad password p@ss w&lt;rd&amp;&quot;1</p>`,
    'HTML numeric entities (Go html/template)': `bad password p@ss w&#60;rd&#38;&#34;1`,
    'double percent-encoding (a redirect URL)': `GET /token?next=${encodeURIComponent(`/auth?password=${encodeURIComponent(password)}`)}`,
    'JSON inside JSON (a quoted request body)': `request body ${JSON.stringify(JSON.stringify({ password }))}`,
    'form-encoding of JSON': `body ${new URLSearchParams({ config: JSON.stringify({ password }) }).toString()}`,
  };
  for (const [name, echo] of Object.entries(forms)) {
    test(name, async () => {
      const message = await daemonMessage(headers, { echo });
      expect(message).toBe(`pull failed\n${WITHHELD}\nsee the registry's logs`);
    });
  }
});

describe('a credential cut by the error body bound (64 KiB)', () => {
  const token = 'tok-0123456789abcdef0123456789abcdef';
  const headers = { Authorization: `Bearer ${token}` };
  test('plain text body: the token`s first half is not kept', async () => {
    const message = await daemonMessage(headers, { raw: true, echo: `${'a'.repeat(64 * 1024 - 20)} ${token} refused` });
    expect(message).not.toContain(token.slice(0, 12));
  });
  test('JSON body: the token`s first half is not kept', async () => {
    const message = await daemonMessage(headers, { echo: `${'a'.repeat(64 * 1024 - 60)} ${token} refused` });
    expect(message).not.toContain(token.slice(0, 12));
  });
});

test('demux(): a type-3 error frame of a response to a request with X-Registry-Auth', async () => {
  const password = 'hunter2x';
  const headers = { 'X-Registry-Auth': authHeader({ username: 'deploy', password }) };
  const res = await client.request({ method: 'POST', path: '/exec/x/start', headers, body: JSON.stringify({ echo: `login with ${password} refused`, frame: true }) });
  const { stdout, stderr } = demux(res.body);
  stderr.resume();
  const err = await new Promise<{ code?: string; daemonMessage?: string }>((resolve) => {
    stdout.once('error', resolve);
    stdout.resume();
  });
  expect(err.code).toBe('ERR_HTTP_STATUS');
  expect(err.daemonMessage).not.toContain(password);
});

test('ordinary messages are kept whole', async () => {
  const headers = { 'X-Registry-Auth': authHeader({ auth: b64('deploy:hunter2x'), serveraddress: 'registry.test' }) };
  expect(await daemonMessage(headers, { echo: 'manifest for busybox:nope not found: manifest unknown' })).toBe(
    "pull failed\nmanifest for busybox:nope not found: manifest unknown\nsee the registry's logs",
  );
});
