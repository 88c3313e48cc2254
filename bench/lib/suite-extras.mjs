import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureColdStart } from './cold-start.mjs';
import { measureImport } from './import-throughput.mjs';
import { loadgenArgs, runLoadgen } from './loadgen.mjs';
import { processMemory } from './machine.mjs';
import { connectionsFor } from './modes.mjs';
import { loadScenario, row } from './scenarios.mjs';
import { findLogLine, startSearchServer } from './search-server.mjs';
import { median } from './stats.mjs';
import { startStatsdSink } from './statsd-sink.mjs';

/** The gRPC echo baseline: bench/echo-server.mjs driven like the real server. */
export async function benchEcho(ctx, requests) {
  const logFile = join(ctx.workDir, 'echo.log');
  const echo = ctx.processes.start(process.execPath, [join(ctx.repoRoot, 'bench', 'echo-server.mjs'), '0'], {
    logFile,
    label: 'echo-server',
  });
  try {
    let line;
    for (let i = 0; i < 500 && !line; i++) {
      if (echo.child.exitCode !== null)
        throw new Error(`echo server exited: ${readFileSync(logFile, 'utf8')}`);
      line = findLogLine(logFile, 'serving');
      if (!line) await sleep(20);
    }
    if (!line) throw new Error('echo server did not start');
    for (const concurrency of ctx.mode.pointConcurrency) {
      const measured = await loadScenario(ctx, {
        kind: 'echo',
        scenario: 'gRPC echo (fixed Search response)',
        dataset: '—',
        method: 'Search',
        requests,
        address: `127.0.0.1:${line.port}`,
        serverPid: echo.pid,
        concurrency,
      });
      ctx.log(`echo c=${concurrency}: ${Math.round(measured.qps)} QPS`);
    }
  } finally {
    await echo.stop();
  }
}

/**
 * Search by point at the highest concurrency on eight servers started at
 * once: three with logs warn + metrics off (quiet), three with logs info +
 * metrics on (loud), one with logs only and one with metrics only. Metrics
 * go to a UDP sink per server. One loadgen drives them in turns of
 * `mode.telemetry.turnS` (all the calls in flight go to one server, then to
 * the next), first for `warmupS` seconds not recorded, then in `rounds`
 * rounds of `roundS` seconds, each server having the same share of every
 * round.
 *
 * Why turns: this two-CPU virtual machine's speed drifts by 10-30 % within
 * seconds to minutes, and servers measured one after the other (even in
 * alternating rounds of a few seconds, a fresh server each) read costs from
 * -33 to +40 % for the same code; a server also takes tens of seconds of
 * load to reach its steady speed (a fresh quiet server read 4-9 % slower
 * than one that had served for minutes), and servers started alike can
 * settle at speeds a few percent apart for minutes. With quarter-second
 * turns every server sees the same moments; three servers of each of the
 * judged configurations average over the second effect, and their
 * differences show its size.
 *
 * The cost is judged per round (the loud servers' mean QPS against the
 * quiet servers', in the same round, see targets.mjs) and the median of the
 * rounds taken; each server's figures are the medians of its rounds.
 */
export async function benchTelemetryVariants(ctx, dataset, requests) {
  const { mode } = ctx;
  const concurrency = Math.max(...mode.pointConcurrency);
  const { rounds, roundS, warmupS, turnS } = mode.telemetry;
  const variants = [
    { logLevel: 'warn', metrics: false, instance: 1 },
    { logLevel: 'info', metrics: true, instance: 1 },
    { logLevel: 'info', metrics: false, instance: 1 },
    { logLevel: 'warn', metrics: false, instance: 2 },
    { logLevel: 'info', metrics: true, instance: 2 },
    { logLevel: 'warn', metrics: true, instance: 1 },
    { logLevel: 'warn', metrics: false, instance: 3 },
    { logLevel: 'info', metrics: true, instance: 3 },
  ].map((variant, i) => ({ ...variant, logFile: join(ctx.workDir, `variant-${i}.log`), runs: [] }));
  try {
    for (const variant of variants) {
      variant.sink = variant.metrics ? await startStatsdSink() : undefined;
      variant.server = await startSearchServer({
        repoRoot: ctx.repoRoot,
        processes: ctx.processes,
        env: {
          DATABASE_URL: dataset.url,
          GEOSEARCH_LOG_LEVEL: variant.logLevel,
          GEOSEARCH_METRICS: String(variant.metrics),
          ...(variant.sink ? { GEOSEARCH_STATSD_HOST: variant.sink.address } : {}),
        },
        logFile: variant.logFile,
      });
    }
    const args = (durationS) =>
      loadgenArgs({
        method: 'Search',
        requestFile: requests.b64,
        address: variants.map((v) => v.server.address).join(','),
        serverPid: variants.map((v) => v.server.pid).join(','),
        concurrency,
        conns: connectionsFor(mode, concurrency),
        durationS,
        sliceS: turnS,
      });
    const run = (durationS) =>
      runLoadgen({
        bin: ctx.loadgen,
        processes: ctx.processes,
        args: args(durationS),
        timeoutMs: (durationS + 60) * 1000,
      });
    await run(warmupS);
    ctx.commands.push(
      `(logging and metrics, ${rounds} rounds after a warm-up of ${warmupS} s) ${ctx.commandText([ctx.loadgen, ...args(roundS)])}`,
    );
    for (let round = 1; round <= rounds; round++) {
      const before = variants.map((v) => ({
        packets: v.sink?.counts.packets ?? 0,
        logBytes: fileSize(v.logFile),
      }));
      const { targets } = await run(roundS);
      await sleep(300); // let the last StatsD packets and log lines arrive
      variants.forEach((variant, i) => {
        const result = targets[i];
        variant.runs.push({
          row: row(
            {
              kind: 'server',
              scenario: variantScenario(variant),
              dataset: dataset.name,
              concurrency,
              tool: 'loadgen',
            },
            result,
          ),
          statsdPackets: (variant.sink?.counts.packets ?? 0) - before[i].packets,
          logBytes: fileSize(variant.logFile) - before[i].logBytes,
        });
      });
      ctx.log(
        `logging and metrics, round ${round}: ${targets.map((t) => Math.round(t.qps)).join(' / ')} QPS`,
      );
    }
    for (const variant of variants) variant.rssMiB = processMemory(variant.server.pid)?.rssMiB;
  } finally {
    for (const variant of variants) {
      await variant.server?.stop();
      await variant.sink?.close();
    }
  }
  for (const { runs, logLevel, metrics, instance, rssMiB } of variants) {
    const rows = runs.map((run) => run.row);
    ctx.variants.push({
      logLevel,
      metrics,
      instance,
      turnS,
      roundS,
      warmupS,
      rounds: rows.map((r) => r.qps),
      row: {
        ...rows[0],
        scenario: variantScenario({ logLevel, metrics, instance }),
        qps: median(rows.map((r) => r.qps)),
        p50: median(rows.map((r) => r.p50)),
        p99: median(rows.map((r) => r.p99)),
        serverCpuUs: median(rows.map((r) => r.serverCpuUs ?? Number.NaN)),
        load: median(rows.map((r) => r.load)),
      },
      cpuRounds: rows.map((r) => r.serverCpuUs),
      statsdPackets: median(runs.map((r) => r.statsdPackets)),
      logBytes: median(runs.map((r) => r.logBytes)),
      rssMiB,
    });
  }
}

const variantScenario = ({ logLevel, metrics, instance }) =>
  `Search by point, logs ${logLevel}, metrics ${metrics ? 'on' : 'off'}, server ${instance}`;

/** A file's size in bytes, 0 when it is not there yet. */
function fileSize(file) {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/** ImportThings throughput into a fresh database. */
export async function benchImport(ctx) {
  const url = await ctx.cluster.createdb('bench_import');
  const server = await startSearchServer({
    repoRoot: ctx.repoRoot,
    processes: ctx.processes,
    env: { DATABASE_URL: url },
    logFile: join(ctx.workDir, 'import-server.log'),
  });
  try {
    const { count, batch } = ctx.mode.import;
    const result = await measureImport({
      grpc: ctx.grpc,
      address: server.address,
      count,
      batch,
      timeoutMs: 1_800_000,
    });
    ctx.imports.push({ ...result, load: ctx.load1() });
    ctx.log(`import: ${Math.round(result.featuresPerS)} features/s`);
  } finally {
    await server.stop();
  }
}

/** The cached PGlite data folder with the sample countries, made once per migrations/PGlite/server version. */
async function pgliteTemplate(ctx) {
  const migrations = readdirSync(join(ctx.repoRoot, 'packages', 'search-core', 'src', 'migrations')).sort();
  const corePackage = readFileSync(join(ctx.repoRoot, 'packages', 'search-core', 'package.json'), 'utf8');
  const serverPackage = readFileSync(join(ctx.repoRoot, 'packages', 'search-server', 'package.json'), 'utf8');
  const key = createHash('sha256')
    .update(JSON.stringify([migrations, corePackage, serverPackage]))
    .digest('hex');
  const template = join(ctx.cacheDir, 'bench', `pglite-${key.slice(0, 16)}`);
  if (existsSync(template)) return { template };
  mkdirSync(join(ctx.cacheDir, 'bench'), { recursive: true });
  const making = `${template}.making-${process.pid}`;
  ctx.log('making the PGlite data folder (migrations + sample countries; once, cached)');
  const t0 = performance.now();
  const server = await startSearchServer({
    repoRoot: ctx.repoRoot,
    processes: ctx.processes,
    env: { GEOSEARCH_DATA_DIR: making, GEOSEARCH_SAMPLE_DATA: 'true', GEOSEARCH_LOG_LEVEL: 'info' },
    logFile: join(ctx.workDir, 'pglite-template.log'),
  });
  const firstStartS = (performance.now() - t0) / 1000;
  await server.stop();
  renameSync(making, template);
  return { template, firstStartS };
}

/**
 * Cold start, spawn to first successful Search: on PostgreSQL with an
 * existing data set, and on PGlite with an existing data folder (a fresh
 * copy of the cached one per run).
 */
export async function benchColdStart(ctx, dataset, point) {
  const runs = ctx.mode.coldStartRuns;
  const record = (backend, data, results) => {
    const times = results.map((r) => r.ms);
    ctx.coldStarts.push({
      backend,
      data,
      runs: times,
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
      rssMiB: median(results.map((r) => r.memory?.rssMiB ?? Number.NaN)),
      load: ctx.load1(),
    });
    ctx.log(`cold start ${backend}: median ${Math.round(median(times))} ms`);
  };
  const postgres = [];
  for (let i = 0; i < runs.postgres; i++) {
    postgres.push(
      await measureColdStart({
        repoRoot: ctx.repoRoot,
        processes: ctx.processes,
        grpc: ctx.grpc,
        env: { DATABASE_URL: dataset.url },
        logFile: join(ctx.workDir, `cold-postgres-${i}.log`),
        point,
        timeoutMs: 120_000,
      }),
    );
  }
  record('PostgreSQL', `${dataset.name} (existing database)`, postgres);

  const { template, firstStartS } = await pgliteTemplate(ctx);
  ctx.pgliteFirstStartS = firstStartS;
  const pglite = [];
  for (let i = 0; i < runs.pglite; i++) {
    const dataDir = join(ctx.workDir, `pglite-${i}`);
    cpSync(template, dataDir, { recursive: true });
    const result = await measureColdStart({
      repoRoot: ctx.repoRoot,
      processes: ctx.processes,
      grpc: ctx.grpc,
      env: { GEOSEARCH_DATA_DIR: dataDir },
      logFile: join(ctx.workDir, `cold-pglite-${i}.log`),
      point: { lat: 52.52, lng: 13.405 },
      timeoutMs: 300_000,
    });
    if (result.hits < 1) throw new Error('PGlite cold start: Search for Berlin found nothing');
    pglite.push(result);
    if (i === 0)
      ctx.memory.push({
        label: 'PGlite backend, sample countries, just after first Search',
        idleMiB: result.memory?.rssMiB,
        afterMiB: Number.NaN,
        peakMiB: result.memory?.peakMiB,
        requests: 1,
        load: ctx.load1(),
      });
    rmSync(dataDir, { recursive: true, force: true });
  }
  record('PGlite', 'sample countries (existing data folder)', pglite);
}
