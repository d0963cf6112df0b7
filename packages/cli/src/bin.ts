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

// `proxy` stops on SIGINT/SIGTERM by itself; the other commands keep Node's default (exit at once).
main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env }).then(exitSoon, (err: unknown) => {
  // main() reports every error itself; this is a bug, and its message may not be safe to print.
  process.stderr.write(`ssh-docker: internal error (${err instanceof Error ? err.name : typeof err}); please report it\n`);
  exitSoon(70);
});
