// @ts-check
// Targets and the Markdown report of a bench run.

const fmtMs = (ms) => (Number.isFinite(ms) ? (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0)) : '—');
const ratio = (value, floor) => (Number.isFinite(value) && Number.isFinite(floor) && floor > 0 ? value / floor : Number.NaN);
const fmtRatio = (r) => (Number.isFinite(r) ? `${r < 10 ? r.toFixed(2) : r.toFixed(0)}×` : '');
const cell = (text, r) => (r === undefined || !Number.isFinite(r) ? text : `${text} (${fmtRatio(r)})`);

function concurrencyCell(record, level, floor) {
  const c = record.concurrency?.[level];
  if (c === undefined) return '—';
  const r = c.requests === level ? ratio(c.ms, floor?.concurrency?.[level]?.ms) : undefined;
  const errors = c.errors === 0 ? '0 err' : `**${c.errors} err**`;
  const count = c.requests === level ? '' : ` (${c.requests} run)`;
  return cell(`${errors}, ${fmtMs(c.ms)} ms${count}`, r);
}

/** Each target from the issue, with the figures it was judged on. */
export function evaluateTargets(results) {
  const get = (id) => results.rows.find((r) => r.id === id && r.failed === undefined);
  const floor = get('floor');
  const ours = get('ours');
  const dockerode = get('dockerode-ssh');
  const bare = get('bare-ssh2');
  const levels = results.meta.config.levels;
  const top = levels[levels.length - 1];
  const streamedMiB = ours?.rss?.streamedMiB;
  const targets = [];
  const add = (name, goal, met, actual) => targets.push({ name, goal, met: met === undefined ? null : met, actual });
  if (ours && floor) {
    const r = ratio(ours.pingP50, floor.pingP50);
    add('warm ping p50 vs floor', '≤ 1.5× the floor', r <= 1.5, `${fmtMs(ours.pingP50)} ms vs ${fmtMs(floor.pingP50)} ms (${fmtRatio(r)})`);
  }
  if (ours && dockerode) {
    const r = ratio(dockerode.pingP50, ours.pingP50);
    add('warm ping p50 vs dockerode ssh', '≥ 100× faster', r >= 100, `${fmtMs(ours.pingP50)} ms vs ${fmtMs(dockerode.pingP50)} ms (${fmtRatio(r)} faster)`);
  }
  if (ours?.concurrency?.[top]) {
    const c = ours.concurrency[top];
    add(`${top} concurrent requests, default MaxSessions/MaxStartups`, '0 errors', c.errors === 0, `${c.errors} errors in ${fmtMs(c.ms)} ms`);
  }
  if (ours && floor) {
    const d = ratio(ours.downloadMiBs, floor.downloadMiBs);
    const u = ratio(ours.uploadMiBs, floor.uploadMiBs);
    add('bulk download vs floor', '≥ 95% of the floor', d >= 0.95, `${ours.downloadMiBs?.toFixed(0)} vs ${floor.downloadMiBs?.toFixed(0)} MiB/s (${(d * 100).toFixed(0)}%)`);
    add('bulk upload vs floor', '≥ 95% of the floor', u >= 0.95, `${ours.uploadMiBs?.toFixed(0)} vs ${floor.uploadMiBs?.toFixed(0)} MiB/s (${(u * 100).toFixed(0)}%)`);
  }
  if (ours?.rss?.growthMiB !== undefined) {
    add(
      `RSS growth while streaming ${streamedMiB?.toFixed(0)} MiB`,
      '≤ 32 MiB (for 1 GiB)',
      ours.rss.growthMiB <= 32,
      `${ours.rss.growthMiB.toFixed(1)} MiB`,
    );
  }
  if (ours && bare) {
    const r = ratio(ours.coldP50, bare.coldP50);
    add('cold connect to first response vs bare ssh2', '≤ 1.2× bare handshake + ping', r <= 1.2, `${fmtMs(ours.coldP50)} ms vs ${fmtMs(bare.coldP50)} ms (${fmtRatio(r)})`);
  }
  return targets;
}

/** The Markdown written to results.md (and printed). */
export function renderMarkdown(results) {
  const { meta, rows } = results;
  const floor = rows.find((r) => r.id === 'floor');
  const ok = rows.filter((r) => r.failed === undefined);
  const levels = meta.config.levels;
  const lines = [];
  lines.push(`# ssh-docker benchmark (${meta.mode})`, '');
  lines.push(
    `${meta.date} · Node ${meta.node} · ${meta.machine.cpu} × ${meta.machine.cpus} · ${meta.machine.memoryGiB} GiB · ${meta.machine.os}`,
    `${meta.docker} · ${meta.openssh} · fixture: real sshd + dockerd, ${meta.fixture.isolation}, sshd MaxSessions/MaxStartups at their defaults · run took ${meta.durationSeconds.toFixed(0)} s`,
    '',
    'Ratios in parentheses are to the floor (row 1): lower is better for times, higher for MiB/s.',
    '',
  );
  if (meta.mode === 'quick') {
    lines.push('**Quick mode**: a smoke check with few samples and a 16 MiB image; its figures are indicative only. The published figures come from `pnpm bench`.', '');
  }
  lines.push('## Latency and CPU', '');
  lines.push('| # | Row | `/_ping` p50 | p95 | `/containers/json` p50 | p95 | cold → first response p50 | CPU per request |');
  lines.push('|---|---|---|---|---|---|---|---|');
  ok.forEach((r) => {
    const n = rows.indexOf(r) + 1;
    lines.push(
      `| ${n} | ${r.label} | ${cell(`${fmtMs(r.pingP50)} ms`, ratio(r.pingP50, floor?.pingP50))} | ${fmtMs(r.pingP95)} ms | ` +
        `${cell(`${fmtMs(r.containersP50)} ms`, ratio(r.containersP50, floor?.containersP50))} | ${fmtMs(r.containersP95)} ms | ` +
        `${cell(`${fmtMs(r.coldP50)} ms`, ratio(r.coldP50, floor?.coldP50))} | ` +
        `${cell(`${Number.isFinite(r.cpuPerRequestMicros) ? (r.cpuPerRequestMicros / 1000).toFixed(2) : '—'} ms`, ratio(r.cpuPerRequestMicros, floor?.cpuPerRequestMicros))} |`,
    );
  });
  lines.push('');
  lines.push('## Load and bulk', '');
  const levelHeads = levels.map((l) => `${l.toLocaleString('en-US')} concurrent`).join(' | ');
  lines.push(`| # | Row | ${levelHeads} | download MiB/s | upload MiB/s | RSS growth |`);
  lines.push(`|---|---|${levels.map(() => '---').join('|')}|---|---|---|`);
  ok.forEach((r) => {
    const n = rows.indexOf(r) + 1;
    const rss =
      r.rss?.growthMiB !== undefined
        ? `${r.rss.growthMiB.toFixed(1)} MiB (${r.rss.laterGrowthMiB.toFixed(1)} after the 1st)`
        : r.rss?.error !== undefined
          ? 'error'
          : 'n/a';
    lines.push(
      `| ${n} | ${r.label} | ${levels.map((l) => concurrencyCell(r, l, floor)).join(' | ')} | ` +
        `${cell(Number.isFinite(r.downloadMiBs) ? r.downloadMiBs.toFixed(0) : '—', ratio(r.downloadMiBs, floor?.downloadMiBs))} | ` +
        `${cell(Number.isFinite(r.uploadMiBs) ? r.uploadMiBs.toFixed(0) : '—', ratio(r.uploadMiBs, floor?.uploadMiBs))} | ${rss} |`,
    );
  });
  for (const r of results.extra ?? []) {
    const cells = levels.map((l) => concurrencyCell(r, l, floor)).join(' | ');
    lines.push(`| — | ${r.label} (concurrency only) | ${cells} | | | |`);
  }
  lines.push('');
  for (const r of results.rssExtra ?? []) {
    if (r.rss?.growthMiB !== undefined) {
      lines.push(
        '',
        `RSS of row 2 again with \`${r.flags.join(' ')}\` (V8's young generation capped): ${r.rss.growthMiB.toFixed(1)} MiB growth (${r.rss.laterGrowthMiB.toFixed(1)} after the 1st), ${(r.rss.streamedMiB / r.rss.seconds).toFixed(0)} MiB/s.`,
      );
    }
  }
  lines.push('');
  lines.push('## Targets', '');
  lines.push('| Target | Goal | Result | Met |', '|---|---|---|---|');
  for (const t of results.targets) lines.push(`| ${t.name} | ${t.goal} | ${t.actual} | ${t.met === null ? '—' : t.met ? 'yes' : '**no**'} |`);
  lines.push('');
  const ours = ok.find((r) => r.id === 'ours');
  const bare = ok.find((r) => r.id === 'bare-ssh2');
  if (ours !== undefined && bare !== undefined) {
    const pct = (a, b) => `${(ratio(a, b) * 100).toFixed(0)}%`;
    lines.push(
      `Row 2 against row 6, the bare path's limit: \`/_ping\` p50 ${fmtRatio(ratio(ours.pingP50, bare.pingP50))}, ` +
        `\`/containers/json\` p50 ${fmtRatio(ratio(ours.containersP50, bare.containersP50))}, cold ${fmtRatio(ratio(ours.coldP50, bare.coldP50))}, ` +
        `CPU per request ${fmtRatio(ratio(ours.cpuPerRequestMicros, bare.cpuPerRequestMicros))}, download ${pct(ours.downloadMiBs, bare.downloadMiBs)}, upload ${pct(ours.uploadMiBs, bare.uploadMiBs)}.`,
      '',
    );
  }
  lines.push('## How each figure was taken', '');
  const c = meta.config;
  const streamed = rows.find((r) => r.rss?.streamedMiB !== undefined)?.rss.streamedMiB;
  lines.push(
    `- **Interleaved**: every phase visits the rows in a fresh random order each iteration, so machine noise hits every row alike.`,
    `- **Warm latency**: ${c.warmIterations} iterations after 10 warm-up ones; each does one \`GET /_ping\` and one \`GET /containers/json\` per row, one request at a time. ` +
      `The docker CLI rows and dockerode's ssh mode are sampled every ${c.slowEvery}th iteration (${Math.floor(c.warmIterations / c.slowEvery)} samples). ` +
      `CLI rows run \`docker version --format {{.Server.APIVersion}}\` (a whole process: \`/_ping\` + \`/version\`) and \`docker ps -q\` (\`/_ping\` + \`/containers/json\`).`,
    `- **Cold**: ${c.coldSamples} samples per row, ${c.coldPauseMs} ms apart (so the server's teardown of one sample's connection does not slow the next), from nothing to the first \`/_ping\` answer: a new agent (floor); a new transport and agent, SSH handshake and channel included (ssh-docker); a new transport, socket and CLI process (row 3); a new Docker object (dockerode); a new CLI process and OpenSSH client (row 5); a new ssh2 connection (TCP_NODELAY, publickey signed at once, no host-key check), one channel and one hand-written request (bare).`,
    `- **Concurrency**: that many \`GET /_ping\` (CLI rows: \`docker version\` processes, ${c.cliConcurrency} at once — a thousand CLI processes would measure the fork, not the transport) started at once; errors and wall time until all settled. ` +
      'Clients: ' +
      ok
        .filter((r) => r.concurrencyNote)
        .map((r) => `${r.id}: ${r.concurrencyNote}`)
        .join('; ') +
      '.',
    `- **Bulk**: \`GET /images/get?names=bench/big\` (a ${c.imageMiB} MiB random layer; SHA-256 checked against the floor's bytes) and \`POST /images/load\` of the same tarball (\`docker save\` / \`docker load -i\` for CLI rows), ${c.bulkRounds} round(s), median MiB/s. Uploads are bound by dockerd's own load speed as much as by the path.`,
    `- **RSS growth**: each row in a fresh \`node --expose-gc\` process: set up, one ping, GC, then ${c.rssDownloads} downloads (${streamed?.toFixed(0) ?? '?'} MiB) with bytes counted and dropped; peak RSS (sampled every 10 ms) minus the baseline; in brackets, the growth after the first download (what a leak would show: the first one also pays for V8's young generation and stream buffers reaching their working size). Rows measured: ${c.rssRows.join(', ')} (others n/a). \`results.json\` splits the growth into V8 heap, live Buffers (\`arrayBuffers\`) and anonymous/file pages. Row 3 measures the proxy process (the CLI's output goes to a pipe that is drained); row 5 has no Node process doing the work.`,
    `- **CPU per request**: \`process.cpuUsage()\` around each warm request, summed over the warm phase; CLI rows add the children's CPU from /proc/self/stat (cutime + cstime, 10 ms ticks; ssh under the CLI included). Server-side CPU (sshd, dial-stdio, dockerd) is not counted for any row.`,
  );
  const problems = rows.flatMap((r) => {
    const out = [];
    if (r.failed !== undefined) out.push(`- ${r.id}: **could not run**: ${r.failed}`);
    if (r.warmErrors) out.push(`- ${r.id}: ${r.warmErrors} warm request(s) failed, first: ${r.warmFirstError}`);
    if (r.coldErrors) out.push(`- ${r.id}: ${r.coldErrors} cold sample(s) failed, first: ${r.coldFirstError}`);
    for (const c2 of Object.values(r.concurrency ?? {})) {
      if (c2.errors) out.push(`- ${r.id} × ${c2.requests}: ${c2.errors} error(s), first: ${c2.firstError}`);
    }
    if (r.bulkErrors) out.push(`- ${r.id}: ${r.bulkErrors} bulk round(s) failed, first: ${r.bulkFirstError}`);
    if (r.rss?.error) out.push(`- ${r.id}: RSS measurement failed: ${r.rss.error}`);
    return out;
  });
  if (problems.length > 0) lines.push('', '## Errors seen', '', ...problems);
  lines.push('', `Reproduce: \`pnpm install && pnpm bench\` as root on Linux (the fixture needs network namespaces; see packages/testkit). \`pnpm bench --quick\` is the CI smoke run.`, '');
  return lines.join('\n');
}
