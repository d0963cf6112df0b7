import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { createDockerSshTransport } from '@ssh-docker/transport';
import type { CheckReport, CheckStep } from '@ssh-docker/transport';
import type { ConnectArgs } from '../args.js';
import { transportOptions } from '../connect.js';
import type { CommandContext } from '../context.js';
import { cliFix, formatMs, TERMINAL } from '../output.js';

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
    // The CLI's own phrasing first: the step's `fix` names library options, not flags.
    const fix = (step.code === undefined ? undefined : cliFix(step.code)) ?? step.fix;
    if (fix !== undefined) lines.push(`${INDENT}fix:  ${fix}`);
  }
  return lines.join('\n');
}

/** The closing line: how many steps passed (and were skipped), or where the check failed. */
export function renderSummary(target: string, report: CheckReport): string {
  const failed = report.steps.find((s) => s.status === 'failed');
  if (report.ok) {
    const passed = report.steps.filter((s) => s.status === 'ok').length;
    const skipped = report.steps.length - passed;
    const counts = skipped === 0 ? `All ${passed} steps passed` : `${passed} steps passed, ${skipped} skipped`;
    return `${counts}: Docker clients can use ${target} over SSH.`;
  }
  if (failed !== undefined) return `Check failed at step "${failed.name}"${failed.code === undefined ? '' : ` (${failed.code})`}.`;
  return 'Check failed.';
}

/** The whole report, with a closing line that says what to do next. */
export function renderReport(target: string, report: CheckReport): string {
  return `${[`Checking ${target}`, ...report.steps.map(renderStep), renderSummary(target, report)].join('\n')}\n`;
}

/**
 * `ssh-docker check`: each step is printed as soon as it is known (on a terminal, the running one
 * shows as `… name` until then), so a slow step never looks like a hang; exit 0 only when every
 * step passed.
 */
export async function check(args: ConnectArgs, context: CommandContext): Promise<number> {
  const transport = createDockerSshTransport(transportOptions(args, context.secrets, context.env, context.homeDir));
  // ssh_config settings the transport resolves but does not honour: one line each on stderr.
  const onConfigWarning = (message: unknown): void => {
    const w = message as { file: string; line: number; message: string };
    context.err.write(`warning: ${w.file}${w.line > 0 ? `:${String(w.line)}` : ''}: ${w.message}\n`);
  };
  subscribe('ssh-docker:transport:config', onConfigWarning);
  // Failures ssh(1) also only warns about (a known_hosts that cannot be written under accept-new).
  const onWarning = (message: unknown): void => {
    context.err.write(`warning: ${(message as { message: string }).message}\n`);
  };
  subscribe('ssh-docker:transport:warning', onWarning);
  const out = context.out;
  let pending = false;
  try {
    out.line(`Checking ${args.target}`);
    const report = await transport.check({
      onStepStart: (name) => {
        if (!out.isTTY) return;
        out.write(`… ${name}`);
        pending = true;
      },
      onStep: (step) => {
        if (pending) out.control(TERMINAL.clearLine);
        pending = false;
        out.line(renderStep(step));
      },
    });
    out.line(renderSummary(args.target, report));
    return report.ok ? 0 : 1;
  } finally {
    unsubscribe('ssh-docker:transport:config', onConfigWarning);
    unsubscribe('ssh-docker:transport:warning', onWarning);
    await transport.close({ timeoutMs: 1000 });
  }
}
