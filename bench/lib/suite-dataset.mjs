import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ensureDataset } from './datasets.mjs';
import { countryNameQueries, gridNameQueries } from './grid-sql.mjs';
import { processMemory } from './machine.mjs';
import { pgbenchVariants, pointSearchScript, writePointSearchScript } from './pgbench.mjs';
import { checkPointPlans } from './plan-check.mjs';
import { hitRate, queryPoints, uniformPoints } from './points.mjs';
import { writeNameRequestFile, writePointRequestFiles } from './request-files.mjs';
import { loadScenario, pgbenchScenario } from './scenarios.mjs';
import { startSearchServer } from './search-server.mjs';

/** The point-in-polygon statement the server's connections last ran on `db`, from pg_stat_activity. */
async function serverPointSql(cluster, db) {
  const rows = await cluster.sql(
    cluster.url('geosearch'),
    `SELECT regexp_replace(query, '\\s+', ' ', 'g') FROM pg_stat_activity
      WHERE datname = '${db}' AND application_name = 'search-server' AND query LIKE '%thing_parts%' LIMIT 1`,
  );
  return rows[0]?.[0] ?? '';
}

/**
 * Adds the memory row of a data set's server: RSS `idle` (measured before its
 * calls), now and at its peak, and the `served` calls in between.
 */
function recordServerMemory(ctx, { name, server, idle, served, indexOff = false }) {
  const after = processMemory(server.pid);
  ctx.memory.push({
    label: `PostgreSQL backend, ${name}, point index ${indexOff ? 'off' : (server.pointIndex?.state ?? 'unknown')}`,
    dataset: name,
    ...(indexOff ? { indexOff } : {}),
    idleMiB: idle?.rssMiB,
    afterMiB: after?.rssMiB,
    peakMiB: after?.peakMiB,
    requests: served,
    load: ctx.load1(),
  });
}

/**
 * Data set `name` ready to be measured: its database (built or reused, see
 * ensureDataset), its query points and their hit rates, and the request
 * files of Search by point and Nearby in `<workDir>/<name>`. Adds the data
 * set to the report's list. Returns the data set, its folder, the points,
 * one point inside a polygon and the request files.
 */
export async function prepareDataset(ctx, name) {
  const { mode, cluster, processes, repoRoot } = ctx;
  const dataset = await ensureDataset({
    repoRoot,
    processes,
    cluster,
    name,
    workDir: ctx.workDir,
    log: ctx.log,
  });
  const dir = join(ctx.workDir, name);
  mkdirSync(dir, { recursive: true });
  const { points, insidePoint } = await queryPoints({ cluster, dataset, ...mode.points });
  dataset.hitRate = await hitRate({ cluster, dataset, points });
  dataset.pgbenchHitRate = await hitRate({
    cluster,
    dataset,
    points: uniformPoints(dataset.extent, 1000, 99),
  });
  const files = writePointRequestFiles(ctx.grpc, dir, points);
  ctx.datasets.push(dataset);
  ctx.log(`${name}: ${dataset.count} things, ${points.length} query points`);
  return { dataset, dir, files, points, insidePoint };
}

/**
 * Everything measured on one data set: the data and query points (see
 * prepareDataset), then, on one quiet server (warn logs, no metrics),
 * Search by point at each concurrency interleaved with both pgbench
 * baselines at the same concurrency (after a check of the statement's
 * plans), a fixed rate at 80 % of the best closed-loop QPS, Search by name
 * with paging, Nearby, and the server's memory idle and after it all; then
 * Search by point on a server with its point index off.
 * Returns the data set and its request files.
 */
export async function benchDataset(ctx, name) {
  const { mode, cluster, processes, repoRoot } = ctx;
  const { dataset, dir, files, points, insidePoint } = await prepareDataset(ctx, name);
  const scripts = Object.fromEntries(
    Object.keys(pgbenchVariants).map((variant) => [
      variant,
      writePointSearchScript(join(dir, `point-search-${variant}.sql`), dataset.extent, variant),
    ]),
  );
  ctx.sql.pgbenchScripts ??= Object.fromEntries(
    Object.keys(pgbenchVariants).map((variant) => [variant, pointSearchScript(dataset.extent, variant)]),
  );
  ctx.plans.push(await checkPointPlans({ cluster, dataset, point: insidePoint, dir }));

  const server = await startSearchServer({
    repoRoot,
    processes,
    env: { DATABASE_URL: dataset.url },
    logFile: join(dir, 'server.log'),
  });
  ctx.commands.push(
    `DATABASE_URL=${dataset.url} GEOSEARCH_LISTEN=127.0.0.1:${server.port} GEOSEARCH_SAMPLE_DATA=false ` +
      `GEOSEARCH_LOG_LEVEL=warn GEOSEARCH_METRICS=false node packages/search-server/bin/search-server.js`,
  );
  let served = 0;
  const searchRun = async (options) => {
    const measured = await loadScenario(ctx, {
      dataset: name,
      address: server.address,
      serverPid: server.pid,
      ...options,
    });
    served += measured.served;
    ctx.log(`${name}: ${options.scenario} c=${options.concurrency}: ${Math.round(measured.qps)} QPS`);
    return measured;
  };
  try {
    await sleep(1_000);
    const idle = processMemory(server.pid);
    const names = await writeNameRequestFile({
      dir,
      grpc: ctx.grpc,
      address: server.address,
      queries: dataset.name === 'countries' ? countryNameQueries : gridNameQueries(mode.names.queries),
      pageSize: mode.names.pageSize,
      pages: mode.names.pages,
    });
    served += names.requests;

    let best = 0;
    for (const concurrency of mode.pointConcurrency) {
      const measured = await searchRun({
        scenario: 'Search by point',
        method: 'Search',
        requests: files.searchPoint,
        concurrency,
      });
      best = Math.max(best, measured.qps);
      if (mode.ghzCrossCheck.includes(concurrency)) {
        await searchRun({
          scenario: 'Search by point, driven by ghz',
          tool: 'ghz',
          method: 'Search',
          requests: files.searchPoint,
          concurrency,
        });
      }
      for (const variant of Object.keys(pgbenchVariants)) {
        const baseline = await pgbenchScenario(ctx, {
          dataset: name,
          url: dataset.url,
          scriptFile: scripts[variant],
          clients: concurrency,
          variant,
        });
        ctx.log(`${name}: ${baseline.scenario} c=${concurrency}: ${Math.round(baseline.qps)} QPS`);
      }
    }
    await searchRun({
      scenario: 'Search by point, fixed rate',
      method: 'Search',
      requests: files.searchPoint,
      concurrency: Math.max(...mode.pointConcurrency),
      rps: Math.max(1, Math.floor(best * 0.8)),
    });
    for (const concurrency of mode.otherConcurrency) {
      await searchRun({
        scenario: `Search by name, ${mode.names.pageSize}/page, pages 1-${mode.names.pages}`,
        method: 'Search',
        requests: names.file,
        concurrency,
      });
    }
    for (const concurrency of mode.otherConcurrency) {
      await searchRun({ scenario: 'Nearby, k = 10', method: 'Nearby', requests: files.nearby, concurrency });
    }
    recordServerMemory(ctx, { name, server, idle, served });
  } finally {
    await server.stop();
  }
  await benchWithoutPointIndex(ctx, { name, dataset, dir, files });
  return { dataset, files, points, insidePoint };
}

/**
 * Search by point at each concurrency on a second server whose point index
 * is off, so that every call runs search-core's statement on PostgreSQL (as
 * name searches and full views always do): the server's own cost over the
 * database, next to pgbench on the same statement, which is captured here;
 * and that server's memory idle and after the calls.
 */
async function benchWithoutPointIndex(ctx, { name, dataset, dir, files }) {
  const server = await startSearchServer({
    repoRoot: ctx.repoRoot,
    processes: ctx.processes,
    env: { DATABASE_URL: dataset.url, GEOSEARCH_POINT_INDEX: 'false' },
    logFile: join(dir, 'server-no-index.log'),
  });
  try {
    await sleep(1_000);
    const idle = processMemory(server.pid);
    let served = 0;
    for (const concurrency of ctx.mode.pointConcurrency) {
      const measured = await loadScenario(ctx, {
        dataset: name,
        address: server.address,
        serverPid: server.pid,
        scenario: 'Search by point, point index off',
        method: 'Search',
        requests: files.searchPoint,
        concurrency,
      });
      served += measured.served;
      ctx.log(`${name}: Search by point, point index off, c=${concurrency}: ${Math.round(measured.qps)} QPS`);
    }
    recordServerMemory(ctx, { name, server, idle, served, indexOff: true });
    ctx.sql.server ||= await serverPointSql(ctx.cluster, dataset.db);
  } finally {
    await server.stop();
  }
}
