// @ts-check
// Small numeric helpers for the benchmark: percentiles, timing, CPU of this process and its children.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/**
 * The p-th percentile (0–100) of a list of numbers, nearest-rank; NaN when empty.
 * @param {readonly number[]} values
 * @param {number} p
 * @returns {number}
 */
export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return /** @type {number} */ (sorted[rank]);
}

/** @param {readonly number[]} values */
export function median(values) {
  return percentile(values, 50);
}

/**
 * The message of a thrown value, or the value itself as text.
 * @param {unknown} err
 * @returns {string}
 */
export function messageOf(err) {
  return String(/** @type {{ message?: unknown } | null | undefined} */ (err)?.message ?? err);
}

/** Milliseconds since an arbitrary origin, sub-millisecond. */
export function now() {
  return performance.now();
}

/** CPU time (user + system) of this process, in microseconds. */
export function selfCpuMicros() {
  const { user, system } = process.cpuUsage();
  return user + system;
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/**
 * CPU time (user + system) of every child this process has waited for, in microseconds, from
 * /proc/self/stat (cutime + cstime, in clock ticks, so 10 ms resolution: only sums over many
 * children mean anything). Grandchildren a child waited for (ssh under the docker CLI) are in it.
 */
export function childrenCpuMicros() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // Fields after the parenthesised command name; cutime and cstime are fields 16 and 17.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cutime = Number(fields[13]);
    const cstime = Number(fields[14]);
    return ((cutime + cstime) * 1e6) / TICKS_PER_SECOND;
  } catch {
    return Number.NaN;
  }
}

/**
 * Rejects after `ms` with a message naming `what`, unless the promise settles first.
 * @template T
 * @param {Promise<T>} promise
 * @param {number} ms
 * @param {string} what
 * @returns {Promise<T>}
 */
export function withTimeout(promise, ms, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  /** @type {Promise<never>} */
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Fisher–Yates shuffle, in place; returns the array.
 * @template T
 * @param {T[]} list
 * @returns {T[]}
 */
export function shuffle(list) {
  for (let i = list.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [list[i], list[j]] = [/** @type {T} */ (list[j]), /** @type {T} */ (list[i])];
  }
  return list;
}
