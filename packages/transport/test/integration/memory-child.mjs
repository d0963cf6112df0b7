// Run with --expose-gc. Reads the secret as bytes from stdin (never a JavaScript string), connects
// with it as a direct Secret, pings the daemon, then collects garbage and says "ready": the parent
// scans this process's whole memory for the secret while it idles, then closes stdin to end it.
// argv[2]: transport options as JSON; argv[3]: 'password' | 'passphrase'; argv[4]: 'keep' keeps a
// string copy on purpose (the control that shows the scan can fail).
import { request } from 'node:http';
import { createDockerSshTransport } from '@ssh-docker/transport';
import { Secret } from '@ssh-docker/url';

const [, , json, kind, keep] = process.argv;
// Read by hand up to the first newline: a `for await` that breaks out would destroy stdin, and the
// parent ends this process by closing it.
const chunks = [];
await new Promise((resolve) => {
  const onData = (chunk) => {
    chunks.push(chunk);
    if (chunk.includes(10)) {
      process.stdin.off('data', onData);
      process.stdin.pause();
      resolve();
    }
  };
  process.stdin.on('data', onData);
});
const raw = Buffer.concat(chunks);
const line = raw.subarray(0, raw.indexOf(10));
const secret = Secret.from(line);
const kept = keep === 'keep' ? line.toString('latin1') : undefined;
raw.fill(0);
for (const c of chunks) c.fill(0);

const transport = createDockerSshTransport({ ...JSON.parse(json), [kind]: secret });
const stream = await transport.openStream();
const status = await new Promise((resolve, reject) => {
  const req = request({ path: '/_ping', createConnection: () => stream, headers: { Host: 'docker', Connection: 'close' } }, (res) => {
    res.resume();
    res.on('end', () => resolve(res.statusCode));
  });
  req.on('error', reject);
  req.end();
});
for (let i = 0; i < 5; i++) {
  globalThis.gc();
  await new Promise((r) => setImmediate(r));
}
process.stdout.write(`ready ${String(status)} ${String(secret.cleared)} ${String(kept?.length ?? 0)}\n`);
// Stays connected while the parent scans (an idle pooled connection does not keep a process
// alive by itself, so a timer does); stdin closing ends it.
const alive = setInterval(() => {}, 60_000);
process.stdin.once('end', () => {
  clearInterval(alive);
  void transport.close().then(() => process.exit(0));
});
process.stdin.resume();
