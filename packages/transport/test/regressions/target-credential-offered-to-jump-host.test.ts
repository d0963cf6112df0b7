import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { Secret } from '@ssh-docker/url';
import { afterEach, expect, test } from 'vitest';
import { createDockerSshTransport } from '../../src/index.js';
import type { DockerSshTransportOptions } from '../../src/index.js';
import { startHostileServer } from './adv/hostile-server.js';
import type { HostileServer } from './adv/hostile-server.js';

// Attack (issue 11.3): a logging bastion records every credential offered to it, while the target
// is reached through it with a password, an encrypted key and its passphrase — given directly, as
// providers, and with keyboard-interactive. Nothing of the target's may reach the bastion.
const servers: HostileServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const TARGET_PW = 'target-password-7f3a';
const PASSPHRASE = 'target-passphrase-91c2';
const BASTION_PW = 'bastion-password-0d4e';

type Form = 'direct' | 'provider';

async function attempt(form: Form, bastionTakes: 'password' | 'keyboard-interactive', withJumpCredentials: boolean) {
  // ssh2's generateKeyPairSync drops a leading zero byte of an ed25519 public key (about 1 pair in
  // 300), and its own parser then refuses the pair: generate until it parses.
  let keys = ssh2.utils.generateKeyPairSync('ed25519', { passphrase: PASSPHRASE, cipher: 'aes256-ctr', rounds: 4 });
  while (ssh2.utils.parseKey(keys.public) instanceof Error || ssh2.utils.parseKey(keys.private, PASSPHRASE) instanceof Error) keys = ssh2.utils.generateKeyPairSync('ed25519', { passphrase: PASSPHRASE, cipher: 'aes256-ctr', rounds: 4 });
  const pub = ssh2.utils.parseKey(keys.public);
  if (pub instanceof Error) throw pub;
  const targetBlob = (Array.isArray(pub) ? pub[0] : pub).getPublicSSH().toString('base64');
  const target = await startHostileServer({ accept: (ctx) => ctx.method === 'password' && ctx.password === TARGET_PW });
  const bastion = await startHostileServer({
    keyboardInteractive: true,
    accept: (ctx) => (bastionTakes === 'password' ? ctx.method === 'password' && ctx.password === BASTION_PW : false),
  });
  servers.push(target, bastion);
  const home = mkdtempSync(join(tmpdir(), 'adv-home-'));
  const kh = join(home, 'known_hosts');
  writeFileSync(kh, `${bastion.knownHostsLine}\n${target.knownHostsLine}\n`);
  const keyFile = join(home, 'id_target');
  writeFileSync(keyFile, keys.private, { mode: 0o600 });
  const secret = (text: string) => (form === 'direct' ? Secret.from(text) : () => Promise.resolve(Secret.from(text)));
  const options: DockerSshTransportOptions = {
    url: `ssh://t@127.0.0.1:${target.port}`,
    proxyJump: `b@127.0.0.1:${bastion.port}`,
    configFile: false,
    agent: false,
    homeDir: home,
    env: {},
    knownHostsFiles: [kh],
    connectTimeoutMs: 3000,
    socketVia: 'dial-stdio',
    identityFiles: [keyFile],
    password: secret(TARGET_PW),
    passphrase: secret(PASSPHRASE),
    ...(withJumpCredentials ? { jumpCredentials: () => ({ password: () => Promise.resolve(Secret.from(BASTION_PW)) }) } : {}),
  };
  const transport = createDockerSshTransport(options);
  await transport.check({ stepTimeoutMs: 3000 });
  await transport.close({ timeoutMs: 100 });
  const seen = JSON.stringify(bastion.log);
  return { seen, bastion, target, targetBlob };
}

for (const form of ['direct', 'provider'] as const) {
  for (const bastionTakes of ['password', 'keyboard-interactive'] as const) {
    for (const withJump of [true, false]) {
      test(`a ${form} target password/passphrase never reaches the bastion (bastion takes ${bastionTakes}, jumpCredentials ${withJump ? 'given' : 'absent'})`, async () => {
        const { seen, targetBlob } = await attempt(form, bastionTakes, withJump);
        expect(seen).not.toContain(TARGET_PW);
        expect(seen).not.toContain(PASSPHRASE);
        expect(seen).not.toContain(targetBlob);
      });
    }
  }
}

test('the target does get its own password through the bastion (the attack setup works)', async () => {
  const { target } = await attempt('provider', 'password', true);
  expect(target.log.some((e) => e.password === TARGET_PW)).toBe(true);
});
