/** The commands of `ssh-docker`; `undefined` stands for the program as a whole. */
export type CommandName = 'check' | 'proxy' | 'demo';

/**
 * A mistake on the command line: exit code 2, the message, and a pointer to `--help`. Messages
 * name the option and the rule, never the value (it may be a secret typed in the wrong place).
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'ERR_USAGE';
  readonly command: CommandName | undefined;

  constructor(message: string, command?: CommandName) {
    super(message);
    this.command = command;
  }
}
