import { join } from 'node:path';
import { ghzArgs, runGhz } from './ghz.mjs';
import { load1 } from './machine.mjs';
import { pgbenchArgs, pgbenchVariants, runPgbench } from './pgbench.mjs';

/**
 * One measured row of the report. `kind` is `server`, `pgbench` or `echo`;
 * `scenario` and `dataset` name what ran; QPS, p50 and p99 (ms) as measured;
 * `load` is the one-minute load average when the measurement ended.
 */
const row = (fields, result) => ({
  ...fields,
  qps: result.qps,
  p50: result.p50,
  p99: result.p99,
  requests: result.requests,
  errors: result.errors,
  errorKinds: result.errorKinds ?? [],
  load: load1(),
});

/**
 * Runs ghz against `address`: a warm-up of `mode.warmupS` seconds (not
 * recorded), then the measured run of `mode.durationS` seconds. Appends the
 * row and the exact command to `ctx`.
 */
export async function ghzScenario(
  ctx,
  { kind = 'server', scenario, dataset, method, dataFile, address, concurrency, rps },
) {
  const { mode } = ctx;
  const base = { protoset: ctx.protoset, method, dataFile, address, concurrency, rps };
  const timeoutMs = (mode.durationS + 60) * 1000;
  const warm = await runGhz({
    ghz: ctx.ghz,
    processes: ctx.processes,
    args: ghzArgs({ ...base, durationS: mode.warmupS }),
    timeoutMs,
  });
  const args = ghzArgs({ ...base, durationS: mode.durationS });
  const result = await runGhz({ ghz: ctx.ghz, processes: ctx.processes, args, timeoutMs });
  const measured = row({ kind, scenario, dataset, concurrency, rps, tool: 'ghz' }, result);
  measured.served = warm.requests + result.requests;
  ctx.record(measured, [ctx.ghz, ...args]);
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
