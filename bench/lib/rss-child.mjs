// @ts-check
// Run by bench/run.mjs in a fresh `node --expose-gc` per row, so that one row's heap does not hide
// or inflate another's: sets the row up, takes a baseline RSS after a GC, streams `count`
// downloads of the image (bytes counted and dropped), sampling RSS every 10 ms, and prints JSON.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { ROWS } from './catalog.mjs';

const [rowId, fixtureJson, image, countText] = process.argv.slice(2);
const fixture = JSON.parse(/** @type {string} */ (fixtureJson));
const count = Number(countText);
const row = ROWS.find((make) => make(fixture).id === rowId)?.(fixture);
if (row === undefined) throw new Error(`unknown row ${rowId}`);

await row.setup();
await row.ping();
globalThis.gc?.();
await new Promise((resolve) => setTimeout(resolve, 100));
/** What RSS is made of: V8's heap, Buffers (arrayBuffers), and anonymous vs file-backed pages. */
function breakdown() {
  const m = process.memoryUsage();
  const status = readFileSync('/proc/self/status', 'utf8');
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rssAnon: kib('RssAnon'), rssFile: kib('RssFile') };
}

const baseline = process.memoryUsage().rss;
const baselineBreakdown = breakdown();
let peak = baseline;
let peakBreakdown = baselineBreakdown;
const sampler = setInterval(() => {
  const rss = process.memoryUsage().rss;
  if (rss > peak) {
    peak = rss;
    peakBreakdown = breakdown();
  }
}, 10);
let bytes = 0;
let afterFirst = baseline;
const started = performance.now();
for (let i = 0; i < count; i += 1) {
  await row.download(/** @type {string} */ (image), (chunk) => {
    bytes += chunk.length;
  });
  // Growth after the first download is what a leak would show; the first one also pays for V8's
  // young generation and the stream buffers reaching their working size.
  if (i === 0) afterFirst = Math.max(peak, process.memoryUsage().rss);
}
const ms = performance.now() - started;
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
await row.close();
process.stdout.write(`${JSON.stringify({ rowId, baseline, afterFirst, peak, growth: peak - baseline, laterGrowth: peak - afterFirst, bytes, ms, baselineBreakdown, peakBreakdown })}\n`);
process.exit(0);
