#!/usr/bin/env node
import { main } from './main.js';

/**
 * Once main() has resolved, everything it opened is closed; a timer a dependency left behind must
 * not hold the exit (testkit's fixture.stop() leaves a 15 s timer pending after dockerd exits).
 */
const EXIT_GRACE_MS = 1000;

function exitSoon(code: number): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
}

// A reader that went away (`| head`, or the shell of `proxy --print-env` after it read the lines)
// must not crash a proxy that keeps serving: what it would have printed is dropped.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err;
  });
}

const self = [process.execPath, ...process.execArgv, ...(process.argv[1] === undefined ? [] : [process.argv[1]])];

// `proxy` stops on SIGINT/SIGTERM/SIGHUP by itself; the other commands keep Node's default (exit at once).
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, self }).then(exitSoon, (err: unknown) => {
  // main() reports every error itself; this is a bug, and its message may not be safe to print.
  process.stderr.write(`ssh-docker: internal error (${err instanceof Error ? err.name : typeof err}); please report it\n`);
  exitSoon(70);
});
