import { describeThresholds } from './gate.mjs';
import { verdictWord } from './memory-soak.mjs';
import { echoPeer, isPointSearch, pgbenchPeer } from './rows.mjs';
import { median } from './stats.mjs';
import { evaluateTargets, telemetryGroups, telemetryPairs } from './targets.mjs';
import { TELEMETRY_CONFIGS } from './telemetry-switch.mjs';

const num = (n, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '—';
const ms = (n) => (Number.isFinite(n) ? num(n, n < 10 ? 2 : 1) : '—');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? num(a / b, 2) : '—');
const fixedRatio = (n) => num(n, 3);
const table = (header, lines) =>
  [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...lines.map((l) => `| ${l.join(' | ')} |`),
  ].join('\n');

/** The one-line verdict of the memory soak `soak` (see memory-soak.mjs). */
const soakVerdictLine = (soak) =>
  `**Memory over ${num(soak.requests)} requests** (the benchmark issue asks for no growth): RSS went from ` +
  `${num(soak.settledMiB, 1)} MiB once settled to ${num(soak.endMiB, 1)} MiB at the end, a growth of ` +
  `${num(soak.growthMiB, 1)} MiB; the bound is ${num(soak.bound, 1)} MiB: **${verdictWord(soak.pass)}**.`;

/** The section of the memory soak: its summary, one row per sample, the chart. */
function memorySoakSection(soak, chartFile) {
  return [
    `## Memory over ${num(soak.requests)} requests`,
    '',
    `Search by point at ${soak.concurrency} in flight on one fresh server (PostgreSQL backend, ${soak.dataset}, logs info: ` +
      `${num(soak.logBytes)} log bytes; metrics on: ${num(soak.statsdPackets)} StatsD packets), driven by loadgen in closed-loop ` +
      `segments until ${num(soak.requests)} calls were served; VmRSS and VmHWM from \`/proc/<pid>/status\` after each segment.`,
    '',
    `Idle (1 s after start) ${num(soak.idleMiB, 1)} MiB; settled ${num(soak.settledMiB, 1)} MiB (the first sample at or ` +
      `after 10 % of the requests, ${num(soak.settledServed)} served); end ${num(soak.endMiB, 1)} MiB; ` +
      `peak (VmHWM) ${num(soak.peakMiB, 1)} MiB; growth (end − settled) ${num(soak.growthMiB, 1)} MiB; ` +
      `slope ${num(soak.slopeMiBPer100k, 2)} MiB per 100,000 requests (least squares from the settled sample on); ` +
      `bound ${num(soak.bound, 1)} MiB (the larger of 10 MiB and 5 % of settled): **${verdictWord(soak.pass)}**.`,
    '',
    table(
      ['requests served', 'RSS MiB', 'peak (VmHWM) MiB', 'QPS of the segment', 'segment s', 'load 1m'],
      soak.samples.map((s) => [
        num(s.served),
        num(s.rssMiB, 1),
        num(s.peakMiB, 1),
        num(s.qps),
        num(s.durationS, 1),
        num(s.load, 2),
      ]),
    ),
    '',
    ...(chartFile ? [`![RSS against requests served](${chartFile})`, ''] : []),
  ];
}

/** The whole Markdown report of one run (see bench/README.md for what each section means). */
export function markdownReport(r) {
  const m = r.machine;
  const out = [];
  out.push(`# geosearch benchmark: ${r.mode}, ${r.startedAt}`);
  out.push('');
  out.push(
    r.gate
      ? `**Gate ${r.gate.pass ? 'PASSED' : 'FAILED'}**: Search-by-point QPS / QPS of "${r.gate.baseline}" must be at least ${describeThresholds(r.gate)} ` +
          `(${r.gate.checks.map((c) => `${c.dataset}, ${c.concurrency} in flight: ${num(c.ratio, 2)}`).join('; ')}). ` +
          `The target is ${r.gate.target ?? describeThresholds(r.gate)}: **${r.gate.targetMet ? 'met' : 'not met'}**.`
      : r.only
        ? `No gate: only the ${r.only} scenario ran (\`--only=${r.only}\`).`
        : 'No gate in this mode.',
  );
  out.push('');
  if (r.memorySoak) out.push(soakVerdictLine(r.memorySoak), '');
  const targets = evaluateTargets(r);
  if (targets.length > 0) {
    out.push("## The benchmark issue's targets", '');
    out.push(
      table(
        ['target', 'measured', 'verdict'],
        targets.map((t) => [
          t.target,
          t.measured,
          t.met === undefined ? 'not judged' : t.met ? 'met' : '**not met**',
        ]),
      ),
    );
    out.push(
      '',
      'The issue sets them for two CPUs with the service and PostgreSQL on the same machine, as here.',
      '',
    );
  }
  out.push('## Machine and versions');
  out.push('');
  out.push(`- ${m.nproc} CPUs (nproc), ${m.cpuModel}, ${m.memoryGiB} GiB memory, Linux ${m.kernel}`);
  out.push(
    `- load average (1, 5, 15 min) at start: ${r.loadStart.join(', ')}; at end: ${r.loadEnd.join(', ')}`,
  );
  out.push(
    `- ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}`,
  );
  out.push(`- run: \`${r.runCommand}\` (${r.mode}: ${r.modeSummary}), ${num(r.elapsedS, 0)} s in all`);
  out.push('');
  out.push(
    `Every figure has the one-minute load average next to it: above ${m.nproc} (the CPU count), other work`,
  );
  out.push(
    'was competing for the CPUs. Compare rows measured at similar load, and prefer ratios to absolute numbers.',
  );
  out.push('');
  out.push('## Data sets');
  out.push('');
  out.push(
    table(
      [
        'data set',
        'things',
        'thing_parts',
        'extent (lng, lat)',
        'built this run',
        'request points covered',
        'pgbench points covered',
      ],
      r.datasets.map((d) => [
        d.name,
        num(d.count),
        num(d.parts),
        `${num(d.extent.minLng, 2)}…${num(d.extent.maxLng, 2)}, ${num(d.extent.minLat, 2)}…${num(d.extent.maxLat, 2)}`,
        d.builtInS === undefined ? 'no (cached)' : `${num(d.builtInS, 0)} s`,
        `${num(d.hitRate * 100, 0)} %`,
        `${num(d.pgbenchHitRate * 100, 0)} %`,
      ]),
    ),
  );
  out.push('');
  out.push('## Throughput and latency');
  out.push('');
  out.push(
    table(
      [
        'scenario',
        'data set',
        'in flight',
        'connections',
        'QPS',
        'p50 ms',
        'p99 ms',
        'errors',
        'client',
        'client CPU µs/call',
        'server CPU µs/call',
        'ratio to pgbench (same statement)',
        'ratio to pgbench (LIMIT inline)',
        'ratio to echo',
        'load 1m',
      ],
      r.rows.map((row) => [
        row.rps ? `${row.scenario} at ${num(row.rps)}/s` : row.scenario,
        row.dataset,
        String(row.concurrency),
        // pgbench opens one connection per client
        String(row.conns ?? (row.kind === 'pgbench' ? row.concurrency : '—')),
        num(row.qps),
        ms(row.p50),
        ms(row.p99),
        row.errors ? `${num(row.errors)} (${row.errorKinds.join('; ').slice(0, 80)})` : '0',
        row.tool,
        num(row.clientCpuUs),
        num(row.serverCpuUs),
        isPointSearch(row) ? ratio(row.qps, pgbenchPeer(r.rows, row, 'statement')?.qps) : '—',
        isPointSearch(row) ? ratio(row.qps, pgbenchPeer(r.rows, row, 'inline')?.qps) : '—',
        row.kind === 'server' && !row.rps ? ratio(row.qps, echoPeer(r.rows, row)?.qps) : '—',
        num(row.load, 2),
      ]),
    ),
  );
  out.push('');
  out.push(`![QPS per scenario](${r.chartFile})`);
  out.push('');
  if (r.scale) {
    const base = (c) => r.scale.rows.find((x) => x.dataset === 'grid-100k' && x.concurrency === c)?.qps;
    out.push('## Data sets side by side');
    out.push('');
    out.push(
      `Search by point with one server per data set, all running at once, in ${r.scale.rounds} interleaved rounds of ${r.scale.durationS} s (after ${r.scale.warmupS} s of warm-up each), the order of the data sets rotated every round, so that all see the same moments of the machine. The scale targets are judged on these medians.`,
      '',
    );
    out.push(
      table(
        ['data set', 'in flight', 'median QPS', 'QPS of each round', 'failed calls', 'change from grid-100k'],
        r.scale.rows.map((x) => {
          const b = base(x.concurrency);
          const change = b ? x.qps / b - 1 : Number.NaN;
          return [
            x.dataset,
            String(x.concurrency),
            num(x.qps),
            x.rounds.map((q) => num(q)).join(', '),
            num(x.errors ?? 0),
            Number.isFinite(change) && x.dataset !== 'grid-100k'
              ? `${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)} %`
              : '—',
          ];
        }),
      ),
    );
    out.push('');
  }
  out.push('## Logging and metrics');
  out.push('');
  out.push(
    ...(r.telemetrySwitch ? switchedTelemetrySection(r.telemetrySwitch) : telemetryVariantsSection(r)),
  );
  out.push('');
  out.push('## Import throughput');
  out.push('');
  out.push(
    table(
      ['features', 'per message', 'seconds', 'features/s', 'created', 'rejected', 'load 1m'],
      r.imports.map((i) => [
        num(i.features),
        num(i.batch),
        num(i.seconds, 1),
        num(i.featuresPerS),
        num(i.created),
        num(i.rejected),
        num(i.load, 2),
      ]),
    ),
  );
  out.push('');
  out.push('## Cold start (process spawn to first successful Search)');
  out.push('');
  out.push(
    table(
      ['backend', 'data', 'runs', 'median ms', 'min ms', 'max ms', 'RSS after first Search MiB', 'load 1m'],
      r.coldStarts.map((c) => [
        c.backend,
        c.data,
        String(c.runs.length),
        num(c.medianMs),
        num(c.minMs),
        num(c.maxMs),
        num(c.rssMiB, 0),
        num(c.load, 2),
      ]),
    ),
  );
  if (r.pgliteFirstStartS !== undefined) {
    out.push('');
    out.push(
      `The PGlite data folder was made in this run: first start (migrations and sample countries) took ${num(r.pgliteFirstStartS, 1)} s.`,
    );
  }
  out.push('');
  out.push('## Memory (VmRSS of the server process)');
  out.push('');
  out.push(
    table(
      ['server', 'idle MiB', 'after requests MiB', 'peak (VmHWM) MiB', 'requests served', 'load 1m'],
      r.memory.map((x) => [
        x.label,
        num(x.idleMiB, 0),
        num(x.afterMiB, 0),
        num(x.peakMiB, 0),
        num(x.requests),
        num(x.load, 2),
      ]),
    ),
  );
  out.push('');
  if (r.memorySoak) out.push(...memorySoakSection(r.memorySoak, r.memoryChartFile));
  out.push('## The SQL compared');
  out.push('');
  out.push(
    'The point-in-polygon statement the server last ran during Search by point with its point index off (from `pg_stat_activity`; with the index on, no statement runs for it):',
  );
  out.push('');
  out.push('```sql', r.sql.server || '(not captured)', '```');
  out.push('');
  out.push(
    "pgbench's scripts (first data set; the extent differs per data set), run with `-M prepared`, so the point and a `:limit` are bound parameters:",
  );
  out.push('');
  for (const [variant, script] of Object.entries(r.sql.pgbenchScripts ?? {})) {
    out.push(
      `${variant === 'inline' ? 'LIMIT inline' : 'Same statement'}:`,
      '',
      '```',
      script.trimEnd(),
      '```',
      '',
    );
  }
  out.push('## Query plans of the point statement');
  out.push('');
  out.push(
    "EXPLAIN ANALYZE of the server's statement prepared on one connection, for a point inside a polygon:",
  );
  out.push(
    'after six executions with the default `plan_cache_mode = auto` (what each pooled server connection',
  );
  out.push(
    'runs once PostgreSQL has switched to a generic plan), with a generic plan forced, and with a custom plan forced.',
  );
  out.push('');
  out.push(
    table(
      [
        'data set',
        'point (lng, lat)',
        'auto, after 6 executions: ms',
        'generic plan: ms',
        'custom plan: ms',
        'ratio auto/custom',
      ],
      r.plans.map((p) => [
        p.dataset,
        `${num(p.point.lng, 5)}, ${num(p.point.lat, 5)}`,
        num(p.auto.ms, 3),
        num(p.generic?.ms, 3),
        num(p.custom.ms, 3),
        ratio(p.auto.ms, p.custom.ms),
      ]),
    ),
  );
  for (const p of r.plans) {
    out.push(
      '',
      `<details><summary>${p.dataset}: plans</summary>`,
      '',
      '```',
      p.auto.plan,
      '',
      p.generic?.plan ?? '',
      '',
      p.custom.plan,
      '```',
      '',
      '</details>',
    );
  }
  out.push('');
  out.push('## Commands');
  out.push('');
  out.push(
    `\`$WORK\` is the run's temporary folder (removed at the end); \`$GEOSEARCH_CACHE\` is ${r.cacheDir}.`,
  );
  out.push('');
  out.push('```', ...r.commands, '```');
  out.push('');
  out.push('## Notes');
  out.push('');
  for (const note of r.notes) out.push(`- ${note}`);
  out.push('');
  return out.join('\n');
}

/** The logging-and-metrics section of runs before 2026-12-08: servers each running one configuration. */
function telemetryVariantsSection(r) {
  const out = [];
  const turns = r.variants[0]?.turnS;
  const { quiet, quietRounds } = telemetryGroups(r.variants);
  // A server's QPS (or CPU per call) over the quiet servers' mean, per round, and the median of the rounds.
  const perRound = (v, key) => {
    const mine = key === 'qps' ? v.rounds : v.cpuRounds;
    const theirs = quietRounds[key];
    if (!mine || mine.length !== theirs.length) return undefined;
    return median(mine.map((x, i) => x / theirs[i]));
  };
  if (turns)
    out.push(
      `${r.variants.length} servers started at once, driven by one loadgen in turns of ${turns} s (all the calls in flight to one server, then to the next), after ${r.variants[0].warmupS} s of warm-up, in ${r.variants[0].rounds.length} rounds of ${r.variants[0].roundS} s: every server has the same share of every round, so the machine's drift falls on all of them alike. ${quiet.length} servers of each judged configuration: servers started alike can settle a few percent apart for minutes; the means average over that, and the targets table gives the spread. Figures are the medians of the rounds; the ratios are the medians of the per-round ratios to the quiet servers' mean; StatsD packets and log bytes are per round. The targets table judges the cost per round (the loud servers' mean QPS against the quiet servers') and takes the median of the rounds.`,
      '',
    );
  else if (r.variants.some((v) => v.rounds?.length > 1))
    out.push(
      `Each variant ran in ${r.variants[0].rounds.length} rounds, a fresh server each run, logs warn + metrics off and logs info + metrics on next to each other in every round, the order reversed every other round; the figures are the medians of its rounds (QPS of each round in the last column). The targets table judges the cost per round (logs info + metrics on against the quiet run beside it) and takes the median of the rounds.`,
      '',
    );
  out.push(
    table(
      [
        'log level',
        'metrics',
        'server',
        'data set',
        'in flight',
        'QPS',
        'p50 ms',
        'p99 ms',
        'ratio to quiet',
        'server CPU µs/call',
        'CPU ratio to quiet',
        'StatsD packets',
        'log bytes',
        'RSS after MiB',
        'load 1m',
        'QPS of each round',
      ],
      r.variants.map((v) => [
        v.logLevel,
        v.metrics ? 'on' : 'off',
        v.instance ? String(v.instance) : v.control ? 'second (control)' : '',
        v.row.dataset,
        String(v.row.concurrency),
        num(v.row.qps),
        ms(v.row.p50),
        ms(v.row.p99),
        turns ? fixedRatio(perRound(v, 'qps')) : ratio(v.row.qps, r.variants[0]?.row.qps),
        num(v.row.serverCpuUs, 1),
        turns ? fixedRatio(perRound(v, 'cpu')) : ratio(v.row.serverCpuUs, r.variants[0]?.row.serverCpuUs),
        num(v.statsdPackets),
        num(v.logBytes),
        num(v.rssMiB, 0),
        num(v.row.load, 2),
        (v.rounds ?? [v.row.qps]).map((q) => num(q)).join(', '),
      ]),
    ),
  );
  return out;
}

/** The logging-and-metrics section of a run that switched two servers through Consul KV (benchTelemetrySwitched). */
function switchedTelemetrySection(sw) {
  const percent = (n) => (Number.isFinite(n) ? `${(n * 100).toFixed(1)} %` : '—');
  const names = ['A', 'B'];
  const out = [
    `Two servers started at once, each with its own Consul KV folder, ${sw.concurrency} calls in flight over ${sw.conns} connections, ${sw.dataset}. ` +
      `One loadgen drives both in turns of ${sw.turnS} s (all the calls in flight to one server, then to the other), so both see the same moments of the machine. ` +
      `In each round of ${sw.roundS} s one server runs the configuration named and the other runs logs warn + metrics off; the next round swaps them. ` +
      `\`log_level\` and \`metrics\` are switched through Consul KV, ${sw.settleS} s before each round; the warm-up (${sw.warmupS} s) runs logs info + metrics on, half on each server. ` +
      "Per pair of rounds, with r1 and r2 the QPS of the switched-on server over the quiet one: cost = 1 - sqrt(r1 x r2), in which the servers' own difference in speed cancels; " +
      'that difference (the speed of A over B) is sqrt(r1 / r2), taken with r1 the round A was switched on. ' +
      'A switch is confirmed when, in its round, only the switched-on server sent StatsD packets (when its metrics were on) and wrote log lines (when its level was info).',
    '',
    table(
      [
        'configuration',
        'rounds',
        'cost by QPS',
        'cost by CPU per call',
        'speed of A over B',
        'switches confirmed',
      ],
      telemetryPairs(sw).map((p) => [
        TELEMETRY_CONFIGS[p.config].label,
        p.rounds.join(', '),
        percent(p.cost),
        percent(p.cpuCost),
        fixedRatio(p.serverFactor),
        p.confirmed ? 'yes' : '**no**',
      ]),
    ),
    '',
    table(
      [
        'round',
        'switched on',
        'on server',
        'QPS A',
        'QPS B',
        'on / quiet',
        'CPU µs/call A',
        'CPU µs/call B',
        'p99 ms A',
        'p99 ms B',
        'StatsD packets A',
        'StatsD packets B',
        'log bytes A',
        'log bytes B',
      ],
      sw.rounds.map((round, i) => {
        const [a, b] = round.servers;
        const on = round.servers[round.on];
        const quiet = round.servers[1 - round.on];
        return [
          String(i + 1),
          TELEMETRY_CONFIGS[round.config].label,
          names[round.on],
          num(a.qps),
          num(b.qps),
          fixedRatio(on.qps / quiet.qps),
          num(a.cpuUs, 1),
          num(b.cpuUs, 1),
          ms(a.p99),
          ms(b.p99),
          num(a.statsdPackets),
          num(b.statsdPackets),
          num(a.logBytes),
          num(b.logBytes),
        ];
      }),
    ),
    '',
    `RSS after the last round: ${sw.rssMiB.map((rss, i) => `${names[i]} ${num(rss, 1)} MiB`).join(', ')}.`,
  ];
  return out;
}
