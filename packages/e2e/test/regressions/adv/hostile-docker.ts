// A hostile "remote Docker host" for CLI tests: an in-process ssh2 server (any key accepted) whose
// `docker --version` and `docker system dial-stdio` behave as each scenario says.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { ServerChannel } from 'ssh2';
import { startHostileServer } from './hostile-server.js';
import type { HostileServer } from './hostile-server.js';

export interface Scenario {
  /** `docker --version`: output, exit code; 'hang' never exits. */
  version?: { stdout: string; code: number } | 'hang';
  /** dial-stdio: what to write for a request to `path` (the raw bytes), or 'silent'. */
  answer?: (path: string) => string;
  /** dial-stdio exits at once with this stderr and code. */
  dialExit?: { stderr: string; code: number };
}

export const ok = (body: string, headers: Record<string, string> = {}): string =>
  `HTTP/1.1 200 OK\r\n${Object.entries({ 'Content-Type': 'text/plain', 'Api-Version': '1.45', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

function serveHttp(channel: ServerChannel, answer: (path: string) => string): void {
  let buffered = '';
  channel.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('latin1');
    for (;;) {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      const path = head.split(' ')[1] ?? '/';
      const reply = answer(path);
      if (reply !== 'silent') channel.write(Buffer.from(reply, 'utf8'));
    }
  });
  channel.on('error', () => undefined);
}

export interface HostileDocker {
  readonly server: HostileServer;
  readonly url: string;
  readonly identityFile: string;
  readonly knownHostsFile: string;
  readonly home: string;
}

export async function startHostileDocker(scenario: Scenario): Promise<HostileDocker> {
  const server = await startHostileServer({
    accept: (ctx) => ctx.method === 'publickey',
    exec: (command, channel) => {
      if (command === 'docker --version') {
        const v = scenario.version ?? { stdout: 'Docker version 27.0.0, build x\n', code: 0 };
        if (v === 'hang') return;
        channel.write(v.stdout);
        channel.exit(v.code);
        channel.end();
        return;
      }
      if (command.includes('dial-stdio')) {
        if (scenario.dialExit !== undefined) {
          channel.stderr.write(scenario.dialExit.stderr);
          channel.exit(scenario.dialExit.code);
          channel.end();
          return;
        }
        serveHttp(channel, scenario.answer ?? ((path) => (path.endsWith('/version') ? ok('{"Version":"27.0.0","ApiVersion":"1.45","Os":"linux","Arch":"amd64"}') : ok('OK'))));
        return;
      }
      // docker context inspect and the rest: not a docker host we describe.
      channel.exit(127);
      channel.end();
    },
  });
  const home = mkdtempSync(join(tmpdir(), 'adv-cli-'));
  // ssh2's generateKeyPairSync drops a leading zero byte of an ed25519 public key (about 1 pair in
  // 300), and its own parser then refuses the pair: generate until it parses.
  let keys = ssh2.utils.generateKeyPairSync('ed25519');
  while (ssh2.utils.parseKey(keys.public) instanceof Error || ssh2.utils.parseKey(keys.private) instanceof Error) keys = ssh2.utils.generateKeyPairSync('ed25519');
  const identityFile = join(home, 'id');
  writeFileSync(identityFile, keys.private, { mode: 0o600 });
  return { server, url: `ssh://u@127.0.0.1:${server.port}`, identityFile, knownHostsFile: server.knownHostsFile, home };
}
