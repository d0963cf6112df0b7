// Run by user-errors.test.ts in a child process: user code that throws inside callbacks Node's http
// client runs while it parses (a 'response' and an 'upgrade' callback) must reach this process's
// own `uncaughtException`, and must not take down the SSH connection: an /events stream opened
// before on the same connection keeps running and sees the events that follow.
import { request, type IncomingMessage } from 'node:http';
import { createDockerSshTransport } from '@ssh-docker/transport';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createDockerAgent } from '@ssh-docker/http';

const env = (name: string): string => process.env[name] ?? '';
const transport = createDockerSshTransport({
  url: env('FIXTURE_URL'),
  configFile: false,
  identityFiles: [env('FIXTURE_IDENTITY')],
  knownHostsFiles: [env('FIXTURE_KNOWN_HOSTS')],
  agent: false,
  // One connection: the /events stream and the requests that throw share it.
  maxConnections: 1,
});
const agent = createDockerAgent(() => transport.openStream());
const caught: string[] = [];
process.on('uncaughtException', (err) => {
  caught.push(err.message);
});

function call(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: 'docker', method, path, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

async function until(what: () => boolean, label: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!what()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

// The long stream: /events, read for the whole run.
const events: string[] = [];
let eventsError = '';
let eventsEnded = false;
await new Promise<void>((resolve, reject) => {
  const req = request({ agent, host: 'docker', path: '/events?filters=' + encodeURIComponent(JSON.stringify({ type: ['container'] })) }, (res: IncomingMessage) => {
    res.on('data', (c: Buffer) => events.push(c.toString()));
    res.on('error', (err: Error & { code?: string }) => (eventsError = err.code ?? err.message));
    res.on('close', () => (eventsEnded = true));
    resolve();
  });
  req.on('error', reject);
  req.end();
});

// 1. A response callback that throws.
const first = request({ agent, host: 'docker', path: '/_ping' }, () => {
  throw new Error('user error in a response callback');
});
first.on('error', () => undefined);
first.end();
await until(() => caught.length >= 1, 'the response callback error');

// 2. An upgrade callback that throws (attach to a running container: 101 hijack).
const created = await call('POST', '/containers/create', { Image: env('FIXTURE_IMAGE'), Cmd: ['sleep', '60'], HostConfig: { NetworkMode: 'none' } });
const id = (JSON.parse(created.text) as { Id: string }).Id;
await call('POST', `/containers/${id}/start`);
const attach = request({
  agent,
  host: 'docker',
  method: 'POST',
  path: `/containers/${id}/attach?stream=1&stdout=1&stderr=1`,
  headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
});
attach.on('upgrade', () => {
  throw new Error('user error in an upgrade callback');
});
attach.on('error', () => undefined);
attach.end();
await until(() => caught.length >= 2, 'the upgrade callback error');

// 3. A diagnostics subscriber that throws: the transport publishes a stream's open and close from
// inside ssh2's handlers; Node reports a subscriber's error on the next tick, our code goes on.
const onStream = (): void => {
  throw new Error('user error in a diagnostics subscriber');
};
subscribe('ssh-docker:transport:stream', onStream);
const extra = await transport.openStream();
extra.destroy();
await until(() => caught.length >= 4, 'the diagnostics subscriber errors (open and close)');
unsubscribe('ssh-docker:transport:stream', onStream);
const ping = await call('GET', '/_ping');

// The events stream is still up: it sees the removal that follows.
await call('DELETE', `/containers/${id}?force=1`);
await until(() => events.join('').includes('"destroy"') || eventsEnded, 'the destroy event');

const stats = transport.stats();
process.stdout.write(
  JSON.stringify({
    caught,
    ping: ping.text,
    sawDestroy: events.join('').includes('"destroy"'),
    eventsEnded,
    eventsError,
    connectionsLost: stats.connectionsLost,
    connectsStarted: stats.connectsStarted,
  }),
);
agent.destroy();
await transport.close({ timeoutMs: 1_000 });
process.exit(0);
