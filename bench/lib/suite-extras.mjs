import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { measureColdStart } from './cold-start.mjs';
import { measureImport } from './import-throughput.mjs';
import { loadScenario } from './scenarios.mjs';
import { findLogLine, startSearchServer } from './search-server.mjs';
import { median } from './stats.mjs';

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
