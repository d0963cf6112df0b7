// (copy of transport/test/regressions/adv/hostile-server.ts) A small hostile/logging SSH server in-process (ssh2), for the auditor's regression tests.
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ServerChannel } from 'ssh2';

const { Server, utils } = ssh2;

export interface AuthLogEntry {
  readonly method: string;
  readonly user: string;
  readonly password?: string;
  readonly keyBlob?: string;
  readonly answers?: string[];
}

export interface HostileServerOptions {
  /** Accept this auth (after logging it); default: accept 'none'. */
  accept?: (ctx: AuthContext) => boolean;
  /** Ask keyboard-interactive prompts (and log the answers) instead of rejecting that method. */
  keyboardInteractive?: boolean;
  /** direct-tcpip: 'pipe' (forward to the destination on loopback), 'silent' (never answer), 'reject'. */
  tcpip?: 'pipe' | 'silent' | 'reject';
  /** exec: what to do with a command. Default: reject. */
  exec?: (command: string, channel: ServerChannel) => void;
  /** session open: 'accept' (default) or 'silent' (never answer the channel open). */
  session?: 'accept' | 'silent';
}

export interface HostileServer {
  readonly port: number;
  readonly log: AuthLogEntry[];
  readonly commands: string[];
  readonly knownHostsLine: string;
  readonly knownHostsFile: string;
  readonly connections: Connection[];
  close(): Promise<void>;
}

export async function startHostileServer(options: HostileServerOptions = {}): Promise<HostileServer> {
  // ssh2's generateKeyPairSync drops a leading zero byte of an ed25519 public key (about 1 pair in
  // 300), and its own parser then refuses the pair: generate until it parses.
  let keys = utils.generateKeyPairSync('ed25519');
  while (utils.parseKey(keys.public) instanceof Error || utils.parseKey(keys.private) instanceof Error) keys = utils.generateKeyPairSync('ed25519');
  const log: AuthLogEntry[] = [];
  const commands: string[] = [];
  const connections: Connection[] = [];
  const server = new Server({ hostKeys: [keys.private] }, (client) => {
    connections.push(client);
    client.on('error', () => undefined);
    client.on('authentication', (ctx) => {
      const entry: { -readonly [K in keyof AuthLogEntry]: AuthLogEntry[K] } = { method: ctx.method, user: ctx.username };
      if (ctx.method === 'password') entry.password = ctx.password;
      if (ctx.method === 'publickey') entry.keyBlob = ctx.key.data.toString('base64');
      if (ctx.method === 'keyboard-interactive' && options.keyboardInteractive === true) {
        ctx.prompt([{ prompt: 'Password: ', echo: false }], (answers) => {
          log.push({ ...entry, answers });
          if (options.accept?.(ctx) === true) ctx.accept();
          else ctx.reject(['publickey', 'password', 'keyboard-interactive']);
        });
        return;
      }
      log.push(entry);
      const ok = options.accept === undefined ? ctx.method === 'none' : options.accept(ctx);
      if (ok) ctx.accept();
      else ctx.reject(['publickey', 'password', 'keyboard-interactive']);
    });
    client.on('ready', () => {
      client.on('tcpip', (accept, reject, info) => {
        const mode = options.tcpip ?? 'pipe';
        if (mode === 'silent') return;
        if (mode === 'reject') {
          reject();
          return;
        }
        // Loopback only (the network rule): anything else is refused.
        if (info.destIP !== '127.0.0.1') {
          reject();
          return;
        }
        const upstream = netConnect({ host: '127.0.0.1', port: info.destPort }, () => {
          const channel = accept();
          channel.pipe(upstream).pipe(channel);
          channel.on('error', () => undefined);
        });
        upstream.on('error', () => reject());
      });
      client.on('session', (acceptSession) => {
        if (options.session === 'silent') return;
        const session = acceptSession();
        session.on('exec', (accept, reject, info) => {
          commands.push(info.command);
          if (options.exec === undefined) {
            reject();
            return;
          }
          options.exec(info.command, accept());
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const pub = utils.parseKey(keys.public);
  if (pub instanceof Error) throw pub;
  const parsed = Array.isArray(pub) ? pub[0] : pub;
  const knownHostsLine = `[127.0.0.1]:${port} ${parsed.type} ${parsed.getPublicSSH().toString('base64')}`;
  const dir = mkdtempSync(join(tmpdir(), 'adv-kh-'));
  const knownHostsFile = join(dir, 'known_hosts');
  writeFileSync(knownHostsFile, `${knownHostsLine}\n`);
  return {
    port,
    log,
    commands,
    knownHostsLine,
    knownHostsFile,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.end();
        server.close(() => resolve());
      }),
  };
}
