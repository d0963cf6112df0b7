// Child process for user-exception-in-callback.test.ts: one transport, one agent, a long /events
// stream, then user code that throws from a response callback, an upgrade callback and a dockerode
// callback. Prints one JSON line with what happened.
import http from 'node:http';
import Docker from 'dockerode';
import { createDockerSshTransport } from '@ssh-docker/transport';
import { createDockerAgent } from '@ssh-docker/http';

const options = JSON.parse(process.env.ADV_OPTIONS);
const containerId = process.env.ADV_CONTAINER;
const mode = process.env.ADV_MODE;
const transport = createDockerSshTransport({ ...options, socketVia: 'dial-stdio' });
const agent = createDockerAgent(() => transport.openStream());
const result = { uncaught: [], eventsClosed: false, eventsError: null, after: null, connectionsOpened: 0 };
process.on('uncaughtException', (err) => {
  result.uncaught.push(err.message);
});

function get(path) {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: 'docker', path }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const events = await new Promise((resolve, reject) => {
  const req = http.request({ agent, host: 'docker', path: '/events' }, (res) => resolve({ req, res }));
  req.on('error', reject);
  req.end();
});
events.res.on('data', () => undefined);
events.res.on('close', () => (result.eventsClosed = true));
events.res.on('error', (e) => (result.eventsError = e.code ?? e.message));
events.req.on('error', (e) => (result.eventsError = e.code ?? e.message));
const statsBefore = transport.stats();

if (mode === 'response') {
  const req = http.request({ agent, host: 'docker', path: '/_ping' }, () => {
    throw new Error('user-boom-response');
  });
  req.on('error', () => undefined);
  req.end();
} else if (mode === 'upgrade') {
  const req = http.request({
    agent,
    host: 'docker',
    method: 'POST',
    path: `/containers/${containerId}/attach?stream=1&stdout=1&stderr=1`,
    headers: { Connection: 'Upgrade', Upgrade: 'tcp' },
  });
  req.on('upgrade', (_res, socket) => {
    socket.on('error', () => undefined);
    setTimeout(() => socket.destroy(), 100);
    throw new Error('user-boom-upgrade');
  });
  req.on('error', () => undefined);
  req.end();
} else if (mode === 'dockerode') {
  const docker = new Docker({ protocol: 'http', host: 'docker', port: 80, agent });
  docker.listContainers((err) => {
    if (err) result.dockerodeErr = err.message;
    throw new Error('user-boom-dockerode');
  });
} else if (mode === 'data') {
  const req = http.request({ agent, host: 'docker', path: '/version' }, (res) => {
    res.on('data', () => {
      throw new Error('user-boom-data');
    });
  });
  req.on('error', () => undefined);
  req.end();
}

const deadline = Date.now() + 10_000;
while (result.uncaught.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
await new Promise((r) => setTimeout(r, 500));
try {
  result.after = (await get('/_ping')).body;
} catch (e) {
  result.after = `error ${e.code ?? e.message}`;
}
const statsAfter = transport.stats();
result.stats = { before: statsBefore, after: statsAfter };
result.eventsAlive = !result.eventsClosed && result.eventsError === null;
process.stdout.write(`${JSON.stringify(result)}\n`);
events.req.destroy();
agent.destroy();
await transport.close({ timeoutMs: 500 });
process.exit(0);
