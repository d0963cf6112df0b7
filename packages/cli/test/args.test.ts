import { describe, expect, test } from 'vitest';
import { parseCommandLine } from '../src/internal/args.js';

const context = { homeDir: '/home/me', cwd: '/work', env: {} };
const parse = (argv: string[]): ReturnType<typeof parseCommandLine> => parseCommandLine(argv, context);

function refusal(argv: string[]): { code: string; message: string; command: string | undefined } {
  try {
    parse(argv);
  } catch (err) {
    const e = err as { code: string; message: string; command: string | undefined };
    return { code: e.code, message: e.message, command: e.command };
  }
  throw new Error('expected a UsageError');
}

describe('commands', () => {
  test('--help, -h and help COMMAND ask for help', () => {
    expect(parse(['--help'])).toEqual({ kind: 'help', command: undefined });
    expect(parse(['help', 'proxy'])).toEqual({ kind: 'help', command: 'proxy' });
    expect(parse(['check', 'host', '-p', '99999', '-h'])).toEqual({ kind: 'help', command: 'check' });
    expect(parse(['demo', '--help'])).toEqual({ kind: 'help', command: 'demo' });
  });

  test('-h after -- is a target, not a request for help', () => {
    // The transport then refuses a target that starts with '-'.
    expect(parse(['check', '--', '-h'])).toMatchObject({ kind: 'check', target: '-h' });
  });

  test('--version and -V ask for the version', () => {
    expect(parse(['--version'])).toEqual({ kind: 'version' });
    expect(parse(['-V'])).toEqual({ kind: 'version' });
  });

  test('no command, an unknown command and options before the command are refused', () => {
    expect(refusal([])).toEqual({ code: 'ERR_USAGE', message: 'a command is needed: check, proxy or demo', command: undefined });
    expect(refusal(['chek'])).toEqual({ code: 'ERR_USAGE', message: 'unknown command; the commands are check, proxy and demo', command: undefined });
    expect(refusal(['-p', '22', 'check'])).toEqual({ code: 'ERR_USAGE', message: 'options go after the command: ssh-docker check|proxy|demo [options]', command: undefined });
  });

  test('demo takes no arguments', () => {
    expect(parse(['demo'])).toEqual({ kind: 'demo' });
    expect(refusal(['demo', 'x'])).toEqual({ code: 'ERR_USAGE', message: 'demo takes no arguments', command: 'demo' });
  });
});

describe('check and proxy', () => {
  test('check takes a target and ssh options in any order', () => {
    expect(parse(['check', '-i', 'k', 'ssh://me@h', '-o', 'StrictHostKeyChecking=accept-new', '--password-stdin'])).toEqual({
      kind: 'check',
      target: 'ssh://me@h',
      ssh: { identityFiles: ['/work/k'], hostKeyPolicy: 'accept-new' },
      warnings: [],
      passwordStdin: true,
      passphraseStdin: false,
      streamlocal: false,
    });
  });

  test('ssh-style joined forms work: -oKey=Value, -p2222, -ikey', () => {
    expect(parse(['check', 'alias', '-oPort=2200', '-p2222', '-i/k'])).toMatchObject({ ssh: { port: 2200, identityFiles: ['/k'] } });
  });

  test('proxy takes --socket, and --remote-socket with --streamlocal', () => {
    expect(parse(['proxy', 'h', '--socket', 'run/d.sock', '--remote-socket', '/run/user/1000/docker.sock', '--streamlocal'])).toEqual({
      kind: 'proxy',
      target: 'h',
      ssh: { identityFiles: [] },
      warnings: [],
      passwordStdin: false,
      passphraseStdin: false,
      remoteSocket: '/run/user/1000/docker.sock',
      streamlocal: true,
      socket: 'run/d.sock',
    });
  });

  test('check has no --socket', () => {
    expect(refusal(['check', 'h', '--socket', '/x'])).toEqual({ code: 'ERR_USAGE', message: 'unknown option --socket', command: 'check' });
  });

  test('--streamlocal without --remote-socket is refused', () => {
    expect(refusal(['check', 'h', '--streamlocal']).message).toBe('--streamlocal needs --remote-socket PATH (the daemon socket on the remote host)');
  });

  test('a second target is refused; a missing one is left to the Docker environment', () => {
    expect(refusal(['proxy', 'a', 'b']).message).toBe('proxy takes one target; options go before or after it');
    expect(parse(['check'])).toMatchObject({ kind: 'check' });
    expect(parse(['check'])).not.toHaveProperty('target');
  });

  test('--context names a Docker context, instead of a target', () => {
    expect(parse(['check', '--context', 'prod'])).toMatchObject({ kind: 'check', context: 'prod' });
    expect(refusal(['check', 'h', '--context', 'prod']).message).toBe('give either a target or --context, not both');
    expect(refusal(['check', '--context=']).message).toBe('--context needs a Docker context name');
  });

  test('a password option is refused without its value, pointing to --password-stdin', () => {
    const refused = refusal(['check', 'h', '--password=hunter2']);
    expect(refused.message).toBe('--password is not an option: a password is read only from stdin, with --password-stdin (a passphrase with --passphrase-stdin)');
    expect(refused.message).not.toContain('hunter2');
  });

  test('an option missing its value is named', () => {
    expect(refusal(['check', 'h', '-p']).message).toBe('-p needs a value');
    expect(refusal(['proxy', 'h', '--socket']).message).toBe('--socket needs a value');
  });

  test('ssh options ssh-docker does not take are refused', () => {
    expect(refusal(['check', 'h', '-A']).message).toBe('unknown option -A');
  });
});
