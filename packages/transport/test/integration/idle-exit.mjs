// Opens a stream, pings, and returns with the transport still connected and an idle keep-alive
// stream unref'd, as http.Agent leaves it. The process must exit on its own.
import { request, Agent } from 'node:http';
import { createDockerSshTransport } from '@ssh-docker/transport';

const transport = createDockerSshTransport(JSON.parse(process.argv[2]));
const agent = new Agent({ keepAlive: true });
agent.createConnection = (_options, callback) => {
  transport.openStream().then((stream) => callback(null, stream), callback);
  return undefined;
};
const req = request({ agent, path: '/_ping', host: 'docker' }, (res) => {
  res.resume();
  res.on('end', () => {
    process.stdout.write(`${res.statusCode}\n`);
  });
});
req.end();
