/**
 * Every parser of ours that reads outside input, side by side: for any input, every failure is one
 * of our codes. The packages test their own parsers in depth; this is the cross-parser summary
 * with one rule for all (URL, known_hosts, ssh_config, Docker stream frames).
 */
import { PassThrough } from 'node:stream';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect } from 'vitest';
import { KnownHosts } from '@ssh-docker/hostkeys';
import { demux } from '@ssh-docker/http';
import { arbitraries } from '@ssh-docker/testkit';
import { resolveSshTarget } from '@ssh-docker/transport';
import { parseSshUrl } from '@ssh-docker/url';

const numRuns = Number(process.env.FC_NUM_RUNS ?? 1000);

const tally = new Map<string, number>();
function count(parser: string, outcome: string): void {
  const key = `${parser} ${outcome}`;
  tally.set(key, (tally.get(key) ?? 0) + 1);
}
afterAll(() => {
  console.info(`parser outcomes (${numRuns} runs per property): ${JSON.stringify(Object.fromEntries([...tally].sort()))}`);
});

/**
 * Lets the event loop run between synchronous runs: 100,000 of them back to back would starve
 * vitest's worker RPC ("Timeout calling onTaskUpdate") in the deep run.
 */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => {
    setImmediate(resolve);
  });
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : `foreign:${err instanceof Error ? err.name : typeof err}`;
}

const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: 'grapheme-ascii', maxLength: 200 }));
const urlLike = fc.oneof(
  arbitraries.sshUrl(),
  text,
  fc.tuple(fc.constantFrom('ssh://', 'SSH://', 'ssh:/', 'http://', 'ssh://-', 'ssh://[', 'ssh://u:@', ''), text).map(([a, b]) => a + b),
);

describe('every parser of outside input fails only with our codes', () => {
  test.prop([urlLike], { numRuns })('parseSshUrl: any string parses or throws ERR_SSH_URL_*', async (input) => {
    await yieldToLoop();
    try {
      const url = parseSshUrl(input);
      count('url', 'ok');
      expect(typeof url.host).toBe('string');
    } catch (err) {
      const code = codeOf(err);
      count('url', code);
      expect(code).toMatch(/^ERR_SSH_URL_(SCHEME|HOST|PORT|CHARS|INJECTION|QUERY|PASSWORD|MALFORMED)$/);
    }
  });

  const knownHostsText = fc.oneof(
    fc.array(fc.oneof(arbitraries.knownHostsLine(), text), { maxLength: 8 }).map((lines) => lines.join('\n')),
    text,
  );
  test.prop([knownHostsText], { numRuns })('KnownHosts.parse: any text loads, its bad lines kept as warnings, and any lookup answers a status', async (input) => {
    await yieldToLoop();
    try {
      const kh = KnownHosts.parse(input, { source: 'fuzz' });
      const result = kh.verify({ host: 'example.com', port: 22, key: Buffer.from('AAAAC3NzaC1lZDI1NTE5AAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'base64') });
      count('known_hosts', `ok:${result.status}`);
      expect(['trusted', 'unknown', 'changed', 'revoked']).toContain(result.status);
    } catch (err) {
      const code = codeOf(err);
      count('known_hosts', code);
      expect(code).toMatch(/^ERR_HOST_KEY_/);
    }
  });

  const configText = fc.oneof(
    text.map((s) => s.replace(/\//g, '')),
    fc
      .array(
        fc.tuple(fc.constantFrom('Host', 'Match', 'HostName', 'User', 'Port', 'ProxyJump', 'IdentityFile', 'ConnectTimeout', 'StrictHostKeyChecking', 'Bogus'), text.map((s) => s.replace(/\//g, ''))),
        { maxLength: 8 },
      )
      .map((lines) => lines.map(([k, v]) => `${k} ${v}`).join('\n')),
  );
  test.prop([configText], { numRuns })('resolveSshTarget: any ssh_config text resolves or throws ERR_SSH_CONFIG', async (input) => {
    try {
      const r = await resolveSshTarget('x', { configText: input, homeDir: '/nonexistent-home', localUser: 'tester', env: {}, matchExec: false });
      count('ssh_config', 'ok');
      expect(Number.isInteger(r.port)).toBe(true);
    } catch (err) {
      const code = codeOf(err);
      count('ssh_config', code);
      expect(code).toBe('ERR_SSH_CONFIG');
    }
  });

  test.prop([fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 })], { numRuns })('demux: any stream bytes end as frames or ERR_HTTP_PROTOCOL / ERR_HTTP_STATUS', async (parts) => {
    const source = new PassThrough();
    const { stdout, stderr } = demux(source);
    for (const p of parts) source.write(Buffer.from(p));
    source.end();
    const read = async (r: NodeJS.ReadableStream): Promise<void> => {
      for await (const _ of r) {
        // drain
      }
    };
    try {
      await Promise.all([read(stdout), read(stderr)]);
      count('demux', 'ok');
    } catch (err) {
      const code = codeOf(err);
      count('demux', code);
      expect(['ERR_HTTP_PROTOCOL', 'ERR_HTTP_STATUS']).toContain(code);
    }
  });
});
