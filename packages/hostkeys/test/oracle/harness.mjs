// Runs the real OpenSSH client against a real sshd on 127.0.0.1 and reads its host-key verdict.
// Used by scripts/gen-oracle.mjs (writes test/vectors/openssh-oracle.json) and by
// test/integration/oracle.test.ts (re-runs every case so the vectors cannot go stale).
import { execFile, spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';

const KEY_SPECS = {
  A: ['ed25519'], B: ['rsa', '-b', '2048'], C: ['ecdsa', '-b', '256'],
  X: ['ed25519'], Y: ['rsa', '-b', '2048'], Z: ['ecdsa', '-b', '256'],
};
/** The host-key algorithm the client offers so that the server presents key A, B or C. */
export const ALGORITHM = { A: 'ssh-ed25519', B: 'rsa-sha2-512', C: 'ecdsa-sha2-nistp256' };

function run(file, args, options = {}) {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 30_000, ...options }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

export function makeWorkDir() {
  const dir = mkdtempSync(join(tmpdir(), 'hostkeys-oracle-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function opensshVersion() {
  const r = await run('ssh', ['-V']);
  return r.stderr.trim();
}

/** Makes the six keys with ssh-keygen; returns type, base64 and ssh-keygen's fingerprint of each. */
export async function makeKeys(dir) {
  const keys = {};
  for (const [name, spec] of Object.entries(KEY_SPECS)) {
    const path = join(dir, `key_${name}`);
    const g = await run('ssh-keygen', ['-q', '-t', ...spec, '-N', '', '-C', `oracle-${name}`, '-f', path]);
    if (g.code !== 0) throw new Error(`ssh-keygen failed: ${g.stderr}`);
    const [type, b64] = readFileSync(`${path}.pub`, 'utf8').trim().split(' ');
    const l = await run('ssh-keygen', ['-lf', `${path}.pub`]);
    keys[name] = { type, b64, path, fingerprint: l.stdout.split(' ')[1] };
  }
  return keys;
}

/** `ssh-keygen -H` of each name; returns the hashed field per name. */
export async function keygenHash(dir, names, keys) {
  const file = join(dir, `hash-${randomBytes(4).toString('hex')}`);
  writeFileSync(file, names.map((n) => `${n} ${keys.A.type} ${keys.A.b64}\n`).join(''));
  const r = await run('ssh-keygen', ['-H', '-f', file]);
  if (r.code !== 0) throw new Error(`ssh-keygen -H failed: ${r.stderr}`);
  const out = readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
  rmSync(file, { force: true });
  rmSync(`${file}.old`, { force: true });
  if (out.length !== names.length) throw new Error('ssh-keygen -H changed the number of lines');
  return out;
}

/** Splits a rendered template into its files ({FILE} starts the next one). */
export function splitFiles(text) {
  return text.split('{FILE}');
}

/** Resolves a template's placeholders (see cases.mjs). */
export async function render(template, keys, dir) {
  const hashNames = [...template.matchAll(/\{H:([^}]+)\}/g)].map((m) => m[1]);
  const hashed = hashNames.length > 0 ? await keygenHash(dir, hashNames, keys) : [];
  let i = 0;
  return template
    .replace(/\{H:([^}]+)\}/g, () => hashed[i++])
    .replace(/\{R:([^}]+)\}/g, (_, name) => {
      const salt = createHmac('sha1', 'oracle-salt').update(name).digest();
      return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
    })
    .replace(/\{LONG:(\d+)\}/g, (_, n) => 'a'.repeat(Number(n)))
    .replace(/\{([A-Z])\.b64:(\d+)\}/g, (_, k, n) => keys[k].b64.slice(0, Number(n)))
    .replace(/\{([A-Z])\.b64\}/g, (_, k) => keys[k].b64)
    .replace(/\{TAB\}/g, '\t')
    .replace(/\{CR\}/g, '\r')
    .replace(/\{NUL\}/g, '\0')
    .replace(/\{([A-Z])\}/g, (_, k) => `${keys[k].type}${template.includes('{TAB}') ? '\t' : ' '}${keys[k].b64}`);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts sshd on 127.0.0.1 with host keys A, B and C. `stop()` kills it (call it in finally). */
export async function startSshd(dir, keys) {
  mkdirSync('/run/sshd', { recursive: true });
  const port = await freePort();
  const cfg = join(dir, 'sshd_config');
  writeFileSync(
    cfg,
    [
      `Port ${port}`, 'ListenAddress 127.0.0.1', `HostKey ${keys.A.path}`, `HostKey ${keys.B.path}`, `HostKey ${keys.C.path}`,
      'PidFile none', 'UsePAM no', 'StrictModes no', 'AuthenticationMethods publickey', 'MaxStartups 100', 'LogLevel INFO', '',
    ].join('\n'),
  );
  const proc = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`sshd did not start: ${log}`));
    }, 10_000);
    proc.stderr.on('data', (d) => {
      log += d;
      if (log.includes('Server listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    timer.unref?.();
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sshd exited with ${code}: ${log}`));
    });
  });
  proc.stderr.resume();
  // Never leave an sshd behind, even when the caller dies before calling stop().
  const killOnExit = () => proc.kill('SIGKILL');
  process.once('exit', killOnExit);
  const proxy = join(dir, 'proxy.mjs');
  writeFileSync(
    proxy,
    "import net from 'node:net';\nconst s = net.connect(Number(process.argv[2]), '127.0.0.1');\n" +
      "process.stdin.pipe(s); s.pipe(process.stdout);\ns.on('close', () => process.exit(0)); s.on('error', () => process.exit(1));\n",
  );
  return {
    port,
    proxy,
    pid: proc.pid,
    stop: () =>
      new Promise((resolve) => {
        process.removeListener('exit', killOnExit);
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/**
 * Reads ssh's verdict. Revocation first (a revoked key found by the bare-host fallback also
 * prints "No … host key is known"), then NEW, then CHANGED; reaching authentication is OK.
 */
export function classify(stderr) {
  if (/REVOKED HOST KEY|marked as revoked/.test(stderr)) return 'revoked';
  if (/No \S+ host key is known for/.test(stderr)) return 'unknown';
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED/.test(stderr)) return 'changed';
  if (!/Host key verification failed/.test(stderr) && /Permission denied|Authenticated to/.test(stderr)) return 'trusted';
  throw new Error(`cannot read a host-key verdict from ssh:\n${stderr}`);
}

/**
 * Connects with the real ssh(1): the destination is the typed name (so it is what ssh looks up),
 * a ProxyCommand carries the bytes to the sshd on 127.0.0.1, `-p` sets the port ssh believes in.
 */
export async function askSsh(sshd, dir, c, files) {
  const paths = files.map((text, i) => {
    const path = join(dir, `kh-${c.id}-${i}`);
    writeFileSync(path, text);
    return path;
  });
  const args = [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${paths.join(' ')}`, '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', `HostKeyAlgorithms=${ALGORITHM[c.presented]}`,
    '-o', 'CheckHostIP=no', '-o', 'UpdateHostKeys=no', '-o', 'VerifyHostKeyDNS=no',
    '-o', `ProxyCommand=${process.execPath} ${sshd.proxy} ${sshd.port}`,
    '-o', 'PubkeyAuthentication=no', '-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no',
    '-o', 'GSSAPIAuthentication=no', '-o', 'User=oracle', '-o', 'ConnectTimeout=20',
    ...(c.alias === undefined ? [] : ['-o', `HostKeyAlias=${c.alias}`]),
    '-p', String(c.port ?? 22), '--', c.host, 'true',
  ];
  const r = await run('ssh', args);
  for (const path of paths) rmSync(path, { force: true });
  const verdict = classify(r.stderr);
  const evidence = r.stderr.split('\n').find((l) => /REVOKED|No \S+ host key is known|HAS CHANGED|Permission denied/.test(l)) ?? '';
  return { verdict, evidence: evidence.trim() };
}

/** `ssh-keygen -F name -f file`: the line numbers it reports. */
export async function askFind(dir, id, knownHostsText, name) {
  const kh = join(dir, `find-${id}`);
  writeFileSync(kh, knownHostsText);
  const r = await run('ssh-keygen', ['-F', name, '-f', kh]);
  rmSync(kh, { force: true });
  return [...r.stdout.matchAll(/^# Host .* found: line (\d+)/gm)].map((m) => Number(m[1]));
}

/** Runs fn over items with at most `limit` at a time, keeping order. */
export async function mapLimit(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}
