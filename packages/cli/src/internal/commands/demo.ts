import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Readable } from 'node:stream';
import { createDockerAgent, demux, DockerClient, serveDockerSocket } from '@ssh-docker/http';
import type { DockerSocketServer } from '@ssh-docker/http';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { DockerSshTransport } from '@ssh-docker/transport';
import type * as Testkit from '@ssh-docker/testkit';
import type { CommandContext } from '../context.js';
import { cliFix, errorCode, formatMs, TERMINAL, unwrapConnectError } from '../output.js';
import type { Printer } from '../output.js';

/**
 * The container every client runs: three lines, 500 ms apart, the first after 500 ms, so that the
 * logs request is in place before the first line and streaming shows.
 */
const COMMAND = ['sh', '-c', 'sleep 0.5; for i in 1 2 3; do echo "line $i from $0"; sleep 0.5; done'];
/** Environment variables that would point the docker CLI elsewhere than our `-H`. */
const DOCKER_ENV = ['DOCKER_HOST', 'DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'];
const DOCKER_CLI_TIMEOUT_MS = 60_000;

/** A failure of a demo step with its own code (the docker CLI exiting non-zero, a fingerprint mismatch). */
class DemoError extends Error {
  override readonly name = 'DemoError';
  readonly code: string;
  readonly fix: string | undefined;

  constructor(code: string, message: string, fix?: string) {
    super(message);
    this.code = code;
    this.fix = fix;
  }
}

/** Thrown once a step has printed its failure: the demo stops and cleans up. */
class StepFailed extends Error {
  override readonly name = 'StepFailed';
}

interface Step {
  /** Prints a line of output under the step, with the time since the step began. */
  log(text: string): void;
}

/** Progress lines: `✓ label — detail — time`; on a terminal, `… label` while the step runs. */
class Progress {
  readonly #out: Printer;
  #pending = false;

  constructor(out: Printer) {
    this.#out = out;
  }

  async step<T>(label: string, fn: (step: Step) => Promise<{ value: T; detail: string; ms?: number }>): Promise<T> {
    const started = Date.now();
    const tty = this.#out.isTTY;
    if (tty) {
      this.#out.write(`… ${label}`);
      this.#pending = true;
    }
    const end = (line: string): void => {
      if (tty && this.#pending) this.#out.control(TERMINAL.clearLine);
      this.#pending = false;
      this.#out.line(line);
    };
    const step: Step = {
      log: (text) => {
        if (this.#pending) {
          this.#out.write('\n');
          this.#pending = false;
        }
        this.#out.line(`    │ ${text.padEnd(44)} +${formatMs(Date.now() - started)}`);
      },
    };
    try {
      const { value, detail, ms } = await fn(step);
      end(`✓ ${label} — ${detail} — ${formatMs(ms ?? Date.now() - started)}`);
      return value;
    } catch (e) {
      const err = unwrapConnectError(e);
      const code = errorCode(err);
      const message = err instanceof Error ? err.message : 'an unexpected failure';
      end(`✗ ${label} — ${code}: ${message} — ${formatMs(Date.now() - started)}`);
      const fix = err instanceof DemoError ? err.fix : cliFix(code);
      if (fix !== undefined) this.#out.line(`    fix: ${fix}`);
      throw new StepFailed(label);
    }
  }

  skip(label: string, why: string): void {
    this.#out.line(`- ${label} — skipped: ${why}`);
  }
}

function isModuleMissing(err: unknown, name: string): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && err instanceof Error && err.message.includes(name);
}

/** Splits a stream into lines as they arrive; resolves when it ends. */
function eachLine(stream: Readable, onLine: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    stream.once('end', () => {
      if (rest !== '') onLine(rest);
      resolve();
    });
    stream.once('error', reject);
  });
}

/** Streams a multiplexed logs body to the step, line by line, stdout and stderr alike. */
async function streamLogs(body: Readable, step: Step): Promise<number> {
  const { stdout, stderr } = demux(body);
  let lines = 0;
  const show = (prefix: string) => (line: string): void => {
    lines += 1;
    step.log(`${prefix}${line}`);
  };
  await Promise.all([eachLine(stdout, show('')), eachLine(stderr, show('stderr: '))]);
  return lines;
}

/** Runs the docker CLI against `dockerHost`, its output shown line by line under the step. */
function dockerCli(args: readonly string[], dockerHost: string, env: Readonly<Record<string, string | undefined>>, step: Step): Promise<string[]> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && !DOCKER_ENV.includes(key)) childEnv[key] = value;
  return new Promise((resolve, reject) => {
    // Arguments are constant or come from the fixture (its image name) and our proxy (its path).
    const child = spawn('docker', ['-H', dockerHost, ...args], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), DOCKER_CLI_TIMEOUT_MS);
    const lines: string[] = [];
    const show = (line: string): void => {
      lines.push(line);
      step.log(line);
    };
    const output = Promise.all([eachLine(child.stdout, show), eachLine(child.stderr, show)]);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      output.then(
        () => {
          if (code === 0) resolve(lines);
          else reject(new DemoError('ERR_DOCKER_CLI', `docker ${args[0] ?? ''} ${signal === null ? `exited with ${String(code)}` : `was killed by ${signal}`}`, 'see the docker CLI output above'));
        },
        reject,
      );
    });
  });
}

interface ContainerClient {
  run(step: Step): Promise<{ exit: number; lines: number }>;
}

/** The run with our own streaming client: create, start, follow the logs, wait, remove. */
function withDockerClient(client: DockerClient, image: string): ContainerClient {
  return {
    async run(step) {
      const { Id: id } = await client.json<{ Id: string }>({
        method: 'POST',
        path: '/containers/create',
        body: { Image: image, Cmd: COMMAND.concat('DockerClient'), HostConfig: { NetworkMode: 'none' }, Labels: { 'ssh-docker.demo': 'true' } },
      });
      try {
        (await client.request({ method: 'POST', path: `/containers/${id}/start` })).body.resume();
        const logs = await client.request({ path: `/containers/${id}/logs`, query: { follow: true, stdout: true, stderr: true } });
        const lines = await streamLogs(logs.body, step);
        const { StatusCode } = await client.json<{ StatusCode: number }>({ method: 'POST', path: `/containers/${id}/wait` });
        return { exit: StatusCode, lines };
      } finally {
        (await client.request({ method: 'DELETE', path: `/containers/${id}`, query: { force: true } })).body.resume();
      }
    },
  };
}

/** The run again through dockerode, with our http.Agent underneath. */
async function withDockerode(connect: () => ReturnType<DockerSshTransport['openStream']>, image: string): Promise<(ContainerClient & { close(): void }) | undefined> {
  let Docker: typeof import('dockerode');
  try {
    Docker = (await import('dockerode')).default;
  } catch (err) {
    if (isModuleMissing(err, 'dockerode')) return undefined;
    throw err;
  }
  const agent = createDockerAgent(connect);
  // dockerode 4 uses `agent` although @types/dockerode does not list it; host and port only name the Host header.
  const docker = new Docker({ agent, protocol: 'http', host: 'docker', port: 80 } as ConstructorParameters<typeof Docker>[0]);
  return {
    async run(step) {
      const container = await docker.createContainer({
        Image: image,
        Cmd: COMMAND.concat('dockerode'),
        HostConfig: { NetworkMode: 'none' },
        Labels: { 'ssh-docker.demo': 'true' },
      });
      try {
        await container.start();
        const logs = (await container.logs({ follow: true, stdout: true, stderr: true })) as unknown as Readable;
        const lines = await streamLogs(logs, step);
        const { StatusCode } = (await container.wait()) as { StatusCode: number };
        return { exit: StatusCode, lines };
      } finally {
        await container.remove({ force: true });
      }
    },
    close: () => { agent.destroy(); },
  };
}

type Fixture = Awaited<ReturnType<typeof Testkit.startDockerSshFixture>>;

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * On Ctrl-C the fixture cleans itself up synchronously and re-raises the signal; this does the same
 * for the proxy's socket directory, which would otherwise stay in the temp dir. Only synchronous
 * work is possible then. Returns the function that removes the handlers.
 */
function onInterrupt(cleanUpSync: () => void): () => void {
  const handlers = SIGNALS.map((signal) => {
    const handler = (): void => {
      process.removeListener(signal, handler);
      cleanUpSync();
      // As if nobody had listened, unless someone else (the fixture) still handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
    return { signal, handler };
  });
  return () => {
    for (const { signal, handler } of handlers) process.removeListener(signal, handler);
  };
}

/**
 * `ssh-docker demo`: the testkit's throwaway host, and the library at work against it, each step
 * timed; everything is cleaned up, on failure too. Returns 0 when every step passed.
 */
export async function demo(context: CommandContext): Promise<number> {
  const { out, err } = context;
  let testkit: typeof Testkit;
  try {
    testkit = await import('@ssh-docker/testkit');
  } catch (e) {
    if (!isModuleMissing(e, '@ssh-docker/testkit')) throw e;
    err.line('✗ ERR_DEMO_TESTKIT_MISSING: ssh-docker demo needs @ssh-docker/testkit, which is not installed with the CLI (it is a test tool).');
    err.line('  fix: install it next to the CLI (npm install @ssh-docker/testkit), or run `pnpm demo` in a checkout of the repository');
    return 1;
  }

  const progress = new Progress(out);
  const demoStarted = Date.now();
  let fixture: Fixture | undefined;
  let transport: DockerSshTransport | undefined;
  let client: DockerClient | undefined;
  let dockerode: { close(): void } | undefined;
  let server: DockerSocketServer | undefined;
  let failed = false;
  out.line('ssh-docker demo: a real sshd and dockerd on this machine, reached the way a remote host is.');
  const removeInterruptHandlers = onInterrupt(() => {
    // serveDockerSocket's default directory: a fresh mkdtemp of ours.
    if (server !== undefined) rmSync(dirname(server.path), { recursive: true, force: true });
  });
  try {
    const fx = await progress.step('Started a throwaway remote host', async () => {
      const started = await testkit.startDockerSshFixture();
      return { value: started, detail: `${started.url}: OpenSSH sshd in front of dockerd, ${started.isolation === 'netns' ? 'in its own network namespace' : 'on loopback'}` };
    });
    fixture = fx;

    const tr = createDockerSshTransport({
      ...fx.transportOptions(),
      hostKeyPolicy: 'strict',
      env: {},
    });
    transport = tr;
    const connect = (): ReturnType<DockerSshTransport['openStream']> => tr.openStream();

    const report = await progress.step('Diagnosed the connection (ssh-docker check)', async () => {
      const checked = await tr.check();
      const failedStep = checked.steps.find((s) => s.status === 'failed');
      if (failedStep !== undefined) {
        const code = failedStep.code ?? 'ERR_CHECK_FAILED';
        throw new DemoError(code, `step "${failedStep.name}": ${failedStep.detail}`, cliFix(code) ?? failedStep.fix);
      }
      const passed = checked.steps.filter((s) => s.status === 'ok').length;
      const skipped = checked.steps.length - passed;
      return { value: checked, detail: skipped === 0 ? `${passed} steps passed` : `${passed} steps passed, ${skipped} skipped` };
    });
    const stepOf = (name: string): { detail: string; ms: number } => report.steps.find((s) => s.name === name) ?? { detail: '', ms: 0 };

    await progress.step('Host key verified', async () => {
      const { detail } = stepOf('host key');
      const known = fx.hostKeys.find((k) => detail.includes(k.fingerprint));
      if (known === undefined) throw new DemoError('ERR_HOST_KEY_CHANGED', 'the verified key is not one of the fixture\'s host keys', 'report this: the fixture and the transport disagree');
      // The time is the check's own host-key step.
      return Promise.resolve({ value: undefined, detail: `${known.type} ${known.fingerprint} matches the fixture's known_hosts (strict policy)`, ms: stepOf('host key').ms });
    });

    await progress.step('Connected', async () => {
      let t0 = process.hrtime.bigint();
      const cold = await connect();
      const coldMs = Number(process.hrtime.bigint() - t0) / 1e6;
      t0 = process.hrtime.bigint();
      const warm = await connect();
      const warmMs = Number(process.hrtime.bigint() - t0) / 1e6;
      cold.destroy();
      warm.destroy();
      return {
        value: undefined,
        detail: `TCP + SSH handshake + ${stepOf('auth').detail} + a dial-stdio channel in ${formatMs(coldMs)}; another channel on the warm connection in ${formatMs(warmMs)}`,
      };
    });

    const dc = new DockerClient(connect);
    client = dc;
    await progress.step('Daemon answered', async () => {
      const v = await dc.json<{ Version?: string; ApiVersion?: string; Os?: string; Arch?: string; KernelVersion?: string }>({ path: '/version' });
      return { value: undefined, detail: `Docker ${String(v.Version)}, API ${String(v.ApiVersion)} (negotiated ${await dc.apiVersion()}), ${String(v.Os)}/${String(v.Arch)}` };
    });

    await progress.step(`Ran a container from ${fx.image} (DockerClient), logs streamed`, async (step) => {
      const { exit, lines } = await withDockerClient(dc, fx.image).run(step);
      if (exit !== 0) throw new DemoError('ERR_CONTAINER_EXIT', `the container exited with ${exit}`);
      return { value: undefined, detail: `exit 0, ${lines} lines as they were written, container removed` };
    });

    const viaDockerode = await withDockerode(connect, fx.image);
    if (viaDockerode === undefined) {
      progress.skip('The same through dockerode', 'dockerode is not installed (npm install dockerode to see this step)');
    } else {
      dockerode = viaDockerode;
      await progress.step('The same through dockerode (createDockerAgent)', async (step) => {
        const { exit, lines } = await viaDockerode.run(step);
        if (exit !== 0) throw new DemoError('ERR_CONTAINER_EXIT', `the container exited with ${exit}`);
        return { value: undefined, detail: `exit 0, ${lines} lines streamed, container removed` };
      });
    }

    const sv = await progress.step('Local socket for the docker CLI (ssh-docker proxy)', async () => {
      const served = await serveDockerSocket(connect);
      return { value: served, detail: `export DOCKER_HOST=${served.dockerHost}` };
    });
    server = sv;
    await progress.step('docker run through the proxy', async (step) => {
      try {
        await dockerCli(['run', '--rm', '--network', 'none', fx.image, 'echo', 'hello from the docker CLI, over SSH'], sv.dockerHost, context.env, step);
      } catch (e) {
        if ((e as { code?: unknown }).code === 'ENOENT') throw new DemoError('ERR_DOCKER_CLI_MISSING', 'the docker CLI is not on PATH', 'install the docker CLI (docker-ce-cli or docker.io) to see this step');
        throw e;
      }
      return { value: undefined, detail: `docker -H ${sv.dockerHost} run --rm ${fx.image} echo …` };
    });
    await progress.step('docker ps through the proxy', async (step) => {
      const rows = (await dockerCli(['ps', '--all'], sv.dockerHost, context.env, step)).length - 1;
      return { value: undefined, detail: rows === 0 ? 'no container left behind' : `${rows} container${rows === 1 ? '' : 's'} listed` };
    });
  } catch (e) {
    failed = true;
    if (!(e instanceof StepFailed)) throw e;
  } finally {
    removeInterruptHandlers();
    const cleanupStarted = Date.now();
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<void> | void): Promise<void> => {
      try {
        await fn();
      } catch (e) {
        problems.push(`${what}: ${errorCode(e)}${e instanceof Error ? ` ${e.message}` : ''}`);
      }
    };
    const closingServer = server;
    const closingTransport = transport;
    const stopping = fixture;
    await attempt('proxy', () => closingServer?.close({ timeoutMs: 2000 }));
    await attempt('clients', () => {
      client?.close();
      dockerode?.close();
    });
    await attempt('transport', () => closingTransport?.close({ timeoutMs: 2000 }));
    await attempt('fixture', () => stopping?.stop());
    if (problems.length === 0) {
      out.line(`✓ Cleaned up — proxy socket and its directory removed, SSH connection closed, sshd and dockerd stopped — ${formatMs(Date.now() - cleanupStarted)}`);
    } else {
      failed = true;
      out.line(`✗ Clean-up — ${problems.join('; ')} — ${formatMs(Date.now() - cleanupStarted)}`);
    }
  }
  out.line(failed ? `Demo failed after ${formatMs(Date.now() - demoStarted)}.` : `Demo finished in ${formatMs(Date.now() - demoStarted)}: every step above went through SSH.`);
  return failed ? 1 : 0;
}
