import type { StdinSecrets } from './connect.js';
import type { Printer } from './output.js';

/** What a command runs with: redacting printers, the environment, and the stop signal. */
export interface CommandContext {
  readonly out: Printer;
  readonly err: Printer;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly homeDir: string;
  readonly cwd: string;
  /** Aborted on Ctrl-C (SIGINT) or SIGTERM. */
  readonly signal: AbortSignal;
  readonly secrets: StdinSecrets;
}
