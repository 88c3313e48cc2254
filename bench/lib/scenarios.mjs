import { join } from 'node:path';
import { ghzArgs, runGhz } from './ghz.mjs';
import { loadgenArgs, runLoadgen } from './loadgen.mjs';
import { load1 } from './machine.mjs';
import { connectionsFor } from './modes.mjs';
import { pgbenchArgs, pgbenchVariants, runPgbench } from './pgbench.mjs';

/** Microseconds of `cpuS` CPU seconds per call, or undefined. */
const perCallUs = (cpuS, calls) => (cpuS !== undefined && calls > 0 ? (cpuS / calls) * 1e6 : undefined);

/**
 * One measured row of the report. `kind` is `server`, `pgbench` or `echo`;
 * `scenario` and `dataset` name what ran; QPS, p50 and p99 (ms) as measured;
 * `load` is the one-minute load average when the measurement ended.
 */
export const row = (fields, result) => ({
  ...fields,
  qps: result.qps,
  p50: result.p50,
  p99: result.p99,
  requests: result.requests,
  errors: result.errors,
  errorKinds: result.errorKinds ?? [],
  clientCpuUs: perCallUs(result.cpuS, result.requests),
  serverCpuUs: perCallUs(result.serverCpuS, result.requests),
  load: load1(),
});

/**
 * The two gRPC load generators: loadgen (bench/loadgen, requests
 * pre-serialized, a few tens of µs of CPU per call) drives every scenario;
 * ghz (which builds each request from JSON, about 200 µs per call here,
 * as much as the echo server itself) gives a cross-check row.
 */
const loadTools = {
  loadgen: {
    command: (ctx) => ctx.loadgen,
    args: (o) => loadgenArgs({ ...o, requestFile: o.requests.b64 }),
    run: (ctx, args, timeoutMs) =>
      runLoadgen({ bin: ctx.loadgen, processes: ctx.processes, args, timeoutMs }),
  },
  ghz: {
    command: (ctx) => ctx.ghz,
    args: (o) => ghzArgs({ ...o, dataFile: o.requests.json }),
    run: (ctx, args, timeoutMs) => runGhz({ ghz: ctx.ghz, processes: ctx.processes, args, timeoutMs }),
  },
};

/**
 * Drives `address` with `tool` (default loadgen) over the request set
 * `requests` (see request-files.mjs): a warm-up of `mode.warmupS` seconds
 * (not recorded), then the measured run of `mode.durationS` seconds (or
 * `warmupS` and `durationS` when given).
 * With `serverPid` (loadgen only), the row also has the server's CPU time
 * per call in the measured window (`serverCpuUs`, all its threads).
 * Appends the row and the exact command to `ctx`.
 */
export async function loadScenario(
  ctx,
  {
    kind = 'server',
    tool = 'loadgen',
    scenario,
    dataset,
    method,
    requests,
    address,
    concurrency,
    rps,
    serverPid,
    durationS = ctx.mode.durationS,
    warmupS = ctx.mode.warmupS,
  },
) {
  const { mode } = ctx;
  const driver = loadTools[tool];
  const conns = connectionsFor(mode, concurrency);
  const base = { protoset: ctx.protoset, method, requests, address, concurrency, conns, rps, serverPid };
  const timeoutMs = (durationS + 60) * 1000;
  const warm = await driver.run(ctx, driver.args({ ...base, durationS: warmupS }), timeoutMs);
  const args = driver.args({ ...base, durationS });
  const result = await driver.run(ctx, args, timeoutMs);
  const measured = row({ kind, scenario, dataset, concurrency, conns, rps, tool }, result);
  measured.served = warm.requests + result.requests;
  ctx.record(measured, [driver.command(ctx), ...args]);
  return measured;
}

/**
 * Runs pgbench's point-in-polygon script (`variant`, see pgbenchVariants) on `url` with `clients` connections:
 * a warm-up, then the measured run. Appends the row and the exact command.
 */
export async function pgbenchScenario(ctx, { dataset, url, scriptFile, clients, variant }) {
  const { mode } = ctx;
  const logPrefix = join(ctx.workDir, 'pgbench-log');
  const timeoutMs = (mode.durationS + 60) * 1000;
  const warm = pgbenchArgs({ url, scriptFile, clients, durationS: mode.warmupS, logPrefix });
  await runPgbench({ processes: ctx.processes, args: warm, logPrefix, timeoutMs });
  const args = pgbenchArgs({ url, scriptFile, clients, durationS: mode.durationS, logPrefix });
  const result = await runPgbench({ processes: ctx.processes, args, logPrefix, timeoutMs });
  const measured = row(
    {
      kind: 'pgbench',
      variant,
      scenario: pgbenchVariants[variant],
      dataset,
      concurrency: clients,
      tool: 'pgbench',
    },
    result,
  );
  ctx.record(measured, ['pgbench', ...args]);
  return measured;
}
