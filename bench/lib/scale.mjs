import { join } from 'node:path';
import { loadgenArgs, runLoadgen } from './loadgen.mjs';
import { connectionsFor } from './modes.mjs';
import { startSearchServer } from './search-server.mjs';
import { median } from './stats.mjs';

/**
 * Search by point on every data set side by side, for the issue's scale
 * targets (10k to 1M within 25 % of 100k; countries within 2 times): one
 * server per data set, all running at once, driven in `mode.scale.rounds`
 * interleaved rounds of `mode.scale.durationS` seconds (after a warm-up of
 * `warmupS`), the data sets' order rotated each round. Each data set's own
 * rows were measured minutes apart, and on this machine one 15 s figure
 * moved by up to 30 % between such moments (2026-12-06: the 10k grid at 32
 * in flight 7,799 QPS early in the run, 11,311-12,173 in later interleaved
 * pairs against 10,377-12,693 on the 100k grid); here every data set sees
 * the same moments. Sets `ctx.scale` (medians, each round's QPS and the
 * failed calls per data set and concurrency); does nothing with fewer than
 * two data sets.
 */
export async function benchScale(ctx, benched) {
  const { mode } = ctx;
  if (!mode.scale || benched.length < 2) return;
  const { rounds, durationS, warmupS } = mode.scale;
  const running = [];
  try {
    for (const { dataset, files } of benched) {
      const server = await startSearchServer({
        repoRoot: ctx.repoRoot,
        processes: ctx.processes,
        env: { DATABASE_URL: dataset.url },
        logFile: join(ctx.workDir, `scale-${dataset.name}.log`),
      });
      running.push({ dataset: dataset.name, requests: files.searchPoint, server });
    }
    const measured = [];
    let command;
    for (let round = 0; round < rounds; round++) {
      for (const concurrency of mode.pointConcurrency) {
        for (let k = 0; k < running.length; k++) {
          const { dataset, requests, server } = running[(k + round) % running.length];
          const args = loadgenArgs({
            method: 'Search',
            requestFile: requests.b64,
            address: server.address,
            concurrency,
            conns: connectionsFor(mode, concurrency),
            durationS,
            warmupS,
          });
          command ??= ctx.commandText([ctx.loadgen, ...args]);
          const result = await runLoadgen({
            bin: ctx.loadgen,
            processes: ctx.processes,
            args,
            timeoutMs: (durationS + warmupS + 60) * 1000,
          });
          measured.push({ dataset, concurrency, qps: result.qps, errors: result.errors });
        }
      }
      ctx.log(`scale round ${round + 1} of ${rounds} done`);
    }
    ctx.commands.push(`(scale rounds, for each data set's server and concurrency) ${command}`);
    ctx.scale = {
      rounds,
      durationS,
      warmupS,
      rows: running.flatMap(({ dataset }) =>
        mode.pointConcurrency.map((concurrency) => {
          // In round order: `measured` is filled round by round.
          const runs = measured.filter((m) => m.dataset === dataset && m.concurrency === concurrency);
          const qps = runs.map((m) => m.qps);
          const errors = runs.reduce((sum, m) => sum + m.errors, 0);
          return { dataset, concurrency, qps: median(qps), rounds: qps, errors };
        }),
      ),
    };
  } finally {
    for (const { server } of running) await server.stop();
  }
}
