/**
 * The two configurations. `smoke` is for CI: the 10k grid, two seconds per
 * scenario, and a gate. `full` runs every data set for longer.
 */
export const modes = {
  smoke: {
    datasets: ['grid-10k'],
    durationS: 2,
    warmupS: 1,
    pointConcurrency: [1, 4, 32],
    // The load generators spread the calls in flight over this many HTTP/2 connections at most (one per
    // call below it), as several clients would: the benchmark issue asks for several connections.
    maxConnections: 4,
    // Search by point also driven by ghz at these concurrencies, to compare the generators.
    ghzCrossCheck: [4],
    otherConcurrency: [4],
    points: { inside: 900, uniform: 100 },
    names: { queries: 12, pages: 3, pageSize: 10 },
    import: { count: 5_000, batch: 500 },
    coldStartRuns: { postgres: 2, pglite: 1 },
    // Search by point at `concurrency` in flight (logs info, metrics on) until `requests` calls are
    // served, RSS sampled about `samples` times: short enough for CI, it only catches gross leaks.
    memorySoak: { requests: 20_000, concurrency: 32, samples: 5 },
    // The logging-and-metrics cost (see benchTelemetrySwitched): two servers taking turns of `turnS`, switched
    // through Consul KV, `cycles` cycles of ten rounds of `roundS` (a whole number of turns of both
    // servers), `settleS` after each switch; half the warm-up on each server's loud configuration.
    telemetry: { cycles: 1, roundS: 1, warmupS: 2, turnS: 0.25, settleS: 0.5 },
    // The gate: Search-by-point QPS over pgbench running the server's exact statement ('statement';
    // 'inline' has its LIMIT written in the text). The benchmark issue asks CI to fail below 0.3. On
    // two CPUs and the 10k grid the transport alone (echo / pgbench) reaches about 0.45 at 4 in flight
    // and 1.0 at 32; with the point index the server reaches 0.30 and 0.68 (the database path 0.15 and
    // 0.24). So: 0.3 at 32 in flight, where it has room (a point index that silently fell back to the
    // database fails it), and 0.1 at 4, a collapse guard below the transport's own ceiling there.
    gate: { threshold: { 4: 0.1, 32: 0.3 }, target: 0.3, concurrency: [4, 32], baseline: 'statement' },
  },
  full: {
    datasets: ['grid-10k', 'grid-100k', 'grid-1m', 'countries'],
    durationS: 15,
    warmupS: 3,
    pointConcurrency: [1, 4, 32],
    maxConnections: 4,
    ghzCrossCheck: [4, 32],
    // Search by point on every data set side by side (scale.mjs): one server each, interleaved rounds.
    scale: { rounds: 3, durationS: 5, warmupS: 1 },
    otherConcurrency: [4, 32],
    points: { inside: 1800, uniform: 200 },
    names: { queries: 24, pages: 4, pageSize: 10 },
    import: { count: 100_000, batch: 500 },
    coldStartRuns: { postgres: 3, pglite: 3 },
    memorySoak: { requests: 1_000_000, concurrency: 32, samples: 20 },
    // Two servers switched through Consul KV, in quarter-second turns (see benchTelemetrySwitched): 120 s of
    // warm-up (a fresh server took tens of seconds of load to reach its steady speed), then 6 cycles of 10
    // rounds of 6 s (3 s a server): 12 pairs of rounds for logs info + metrics on, 6 each for logs only,
    // metrics only and the control. With 3 cycles of 12 s rounds (3 runs on 2026-12-07) single pairs spread from 1.7 to
    // 10.0 %, and the servers' own factor moved by up to 8 % between pairs: shorter rounds put a pair's two
    // rounds closer together, and more pairs narrow the median.
    telemetry: { cycles: 6, roundS: 6, warmupS: 120, turnS: 0.25, settleS: 0.5 },
    gate: undefined,
  },
};

/** One line describing a mode, for the report. */
export const modeSummary = (mode) =>
  `data sets ${mode.datasets.join(', ')}; ${mode.durationS} s per scenario after ${mode.warmupS} s warm-up; ` +
  `calls over up to ${mode.maxConnections} HTTP/2 connections; ` +
  `Search by point at ${mode.pointConcurrency.join('/')} in flight; import ${mode.import.count} features; ` +
  `memory soak ${mode.memorySoak.requests} requests at ${mode.memorySoak.concurrency} in flight`;

/** The HTTP/2 connections the load generators open for `concurrency` calls in flight under `mode`. */
export const connectionsFor = (mode, concurrency) => Math.max(1, Math.min(concurrency, mode.maxConnections));
