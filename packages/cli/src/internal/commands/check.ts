import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { CheckReport, CheckStep } from '@ssh-docker/transport';
import type { ConnectArgs } from '../args.js';
import { transportOptions } from '../connect.js';
import type { CommandContext } from '../context.js';
import { FIXES, formatMs } from '../output.js';

const NAME_WIDTH = 12;
const TIME_WIDTH = 8;
const INDENT = ' '.repeat(2 + NAME_WIDTH + 1 + TIME_WIDTH + 2);

function indentRest(text: string): string {
  return text.split('\n').join(`\n${INDENT}`);
}

/** One step as a line: mark, name, time, detail; a failed step adds its code and fix below. */
export function renderStep(step: CheckStep): string {
  const mark = step.status === 'ok' ? '✓' : step.status === 'failed' ? '✗' : '-';
  const time = step.status === 'skipped' ? '' : formatMs(step.ms);
  const detail = step.status === 'skipped' && step.detail === 'not run: an earlier step failed' ? 'skipped' : step.detail;
  const lines = [`${mark} ${step.name.padEnd(NAME_WIDTH)} ${time.padStart(TIME_WIDTH)}  ${indentRest(detail)}`];
  if (step.status === 'failed') {
    if (step.code !== undefined) lines.push(`${INDENT}code: ${step.code}`);
    const fix = step.fix ?? (step.code === undefined ? undefined : FIXES[step.code]);
    if (fix !== undefined) lines.push(`${INDENT}fix:  ${fix}`);
  }
  return lines.join('\n');
}

/** The whole report, with a closing line that says what to do next. */
export function renderReport(target: string, report: CheckReport): string {
  const lines = [`Checking ${target}`, ...report.steps.map(renderStep)];
  const failed = report.steps.find((s) => s.status === 'failed');
  if (report.ok) lines.push(`All ${report.steps.length} steps passed: Docker clients can use ${target} over SSH.`);
  else if (failed !== undefined) lines.push(`Check failed at step "${failed.name}"${failed.code === undefined ? '' : ` (${failed.code})`}.`);
  else lines.push('Check failed.');
  return `${lines.join('\n')}\n`;
}

/** `ssh-docker check`: exit 0 only when every step passed. */
export async function check(args: ConnectArgs, context: CommandContext): Promise<number> {
  const transport = createDockerSshTransport(transportOptions(args, context.secrets, context.env, context.homeDir));
  // ssh_config settings the transport resolves but does not honour: one line each on stderr.
  const onConfigWarning = (message: unknown): void => {
    const w = message as { file: string; line: number; message: string };
    context.err.write(`warning: ${w.file}${w.line > 0 ? `:${String(w.line)}` : ''}: ${w.message}\n`);
  };
  subscribe('ssh-docker:transport:config', onConfigWarning);
  try {
    // The header now, so a slow step (a 10 s connect timeout) does not look like a hang.
    const header = `Checking ${args.target}\n`;
    context.out.write(header);
    const report = await transport.check();
    context.out.write(renderReport(args.target, report).slice(header.length));
    return report.ok ? 0 : 1;
  } finally {
    unsubscribe('ssh-docker:transport:config', onConfigWarning);
    await transport.close({ timeoutMs: 1000 });
  }
}
