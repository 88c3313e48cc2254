// The geosearch benchmark: `pnpm bench` (full) or `pnpm bench:smoke` (CI).
// Usage: node bench/run.mjs [smoke|full] [--datasets=a,b] [--duration=S] [--memory-requests=N]
//        [--only=memory|telemetry] [--keep]
// (--keep leaves the temporary folder; the overrides change the mode's data sets, seconds per scenario and
// requests of the memory soak; --only=memory prepares the first data set and runs the memory soak alone,
// --only=telemetry the logging-and-metrics cost alone)
// See bench/README.md. Every process started here is stopped before exit,
// on success, on failure and on SIGINT/SIGTERM.
import { mkdtempSync, rmSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConsulAgent } from './lib/consul-agent.mjs';
import { datasetDefinitions } from './lib/datasets.mjs';
import { describeGate, evaluateGate } from './lib/gate.mjs';
import { buildProtoset, ensureGhz } from './lib/ghz.mjs';
import { ensureLoadgen } from './lib/loadgen.mjs';
import { load1, machineInfo } from './lib/machine.mjs';
import { benchMemorySoak } from './lib/memory-soak.mjs';
import { modeSummary, modes } from './lib/modes.mjs';
import { createPostgresCluster } from './lib/postgres-cluster.mjs';
import { createProcessGroup } from './lib/processes.mjs';
import { collectVersions, runNotes } from './lib/run-facts.mjs';
import { benchScale } from './lib/scale.mjs';
import { assertServerBuilt, newerThanBuild } from './lib/search-server.mjs';
import { startStatsdSink } from './lib/statsd-sink.mjs';
import { benchDataset, prepareDataset } from './lib/suite-dataset.mjs';
import { benchColdStart, benchEcho, benchImport } from './lib/suite-extras.mjs';
import { benchTelemetrySwitched } from './lib/telemetry-switch.mjs';
import { loadWorkspaceGrpc } from './lib/workspace-grpc.mjs';
import { writeResults } from './lib/write-results.mjs';

const modeName = process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 'full';
const option = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const mode = modes[modeName] && {
  ...modes[modeName],
  ...(option('datasets') ? { datasets: option('datasets').split(',') } : {}),
  ...(option('duration') ? { durationS: Number(option('duration')) } : {}),
};
if (mode && option('memory-requests'))
  mode.memorySoak = { ...mode.memorySoak, requests: Number(option('memory-requests')) };
const only = option('only');
/** What `--only=NAME` runs, on the first data set, instead of everything. */
const onlyParts = {
  memory: (ctx, first) => benchMemorySoak(ctx, first.dataset, first.files.searchPoint),
  telemetry: (ctx, first) => benchTelemetrySwitched(ctx, first.dataset, first.files.searchPoint),
};
if (
  !mode ||
  !(mode.durationS > 0) ||
  mode.datasets.some((d) => !datasetDefinitions[d]) ||
  !Number.isSafeInteger(mode.memorySoak.requests) ||
  !(mode.memorySoak.requests > 0) ||
  (only !== undefined && !Object.hasOwn(onlyParts, only))
) {
  process.stderr.write(
    `usage: node bench/run.mjs [${Object.keys(modes).join('|')}] [--datasets=${Object.keys(datasetDefinitions).join(',')}] [--duration=SECONDS] [--memory-requests=N] [--only=${Object.keys(onlyParts).join('|')}] [--keep]\n`,
  );
  process.exit(2);
}
const keep = process.argv.includes('--keep');
const repoRoot = join(import.meta.dirname, '..');
const cacheDir = process.env.GEOSEARCH_CACHE ?? join(homedir(), '.cache', 'geosearch');
const workDir = mkdtempSync(join(tmpdir(), 'geosearch-bench-'));
const started = performance.now();
const log = (message) =>
  process.stderr.write(
    `[bench ${((performance.now() - started) / 1000).toFixed(0)}s load ${load1()}] ${message}\n`,
  );

const processes = createProcessGroup();
// The bench's own services (PostgreSQL, and Consul for the logging-and-metrics switches) run from here.
const runDir = process.env.GEOSEARCH_BENCH_RUN ?? '/tmp/geosearch-bench-services';
const cluster = createPostgresCluster({ repoRoot, runDir, processes });
const consul = createConsulAgent({ repoRoot, runDir, processes });
let statsd;

let cleaning;
const cleanup = () => {
  cleaning ??= (async () => {
    await processes.stopAll();
    await cluster.stop().catch((error) => log(`stopping PostgreSQL failed: ${error.message}`));
    await consul.stop().catch((error) => log(`stopping Consul failed: ${error.message}`));
    await statsd?.close();
    if (!keep) rmSync(workDir, { recursive: true, force: true });
    const left = processes.running();
    if (left.length > 0) log(`still running: ${left.join(', ')}`);
  })();
  return cleaning;
};
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    log(`${signal}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  });
}

/** Runs every scenario of the mode and writes the report; resolves with the exit code. */
async function main() {
  assertServerBuilt(repoRoot);
  const stale = newerThanBuild(repoRoot);
  if (stale.length > 0)
    log(`warning: ${stale.length} source files are newer than the build (run pnpm build)`);
  const loadStart = loadavg().map((n) => n.toFixed(2));
  log(`mode ${modeName}; temporary folder ${workDir}`);
  const ctx = {
    mode,
    repoRoot,
    cacheDir,
    workDir,
    processes,
    cluster,
    consul,
    log,
    load1,
    grpc: loadWorkspaceGrpc(repoRoot),
    ghz: await ensureGhz({ cacheDir, processes }),
    loadgen: await ensureLoadgen({ repoRoot, cacheDir, processes }),
    protoset: await buildProtoset({ repoRoot, processes, out: join(workDir, 'geosearch.binpb') }),
    rows: [],
    commands: [],
    datasets: [],
    variants: [],
    imports: [],
    coldStarts: [],
    memory: [],
    plans: [],
    sql: { server: '', pgbenchScripts: undefined },
    /** A command (argument list) as the report shows it: the temporary folder and the cache shortened. */
    commandText: (command) =>
      command.join(' ').replaceAll(workDir, '$WORK').replaceAll(cacheDir, '$GEOSEARCH_CACHE'),
    record(row, command) {
      ctx.rows.push(row);
      ctx.commands.push(ctx.commandText(command));
    },
  };
  await cluster.start();
  statsd = await startStatsdSink();
  ctx.statsd = statsd;

  let gate;
  if (only !== undefined) {
    await onlyParts[only](ctx, await prepareDataset(ctx, mode.datasets[0]));
  } else {
    const benched = [];
    for (const name of mode.datasets) benched.push(await benchDataset(ctx, name));
    const first = benched[0];
    await benchScale(ctx, benched);
    await benchEcho(ctx, first.files.searchPoint);
    await benchTelemetrySwitched(ctx, first.dataset, first.files.searchPoint);
    await benchMemorySoak(ctx, first.dataset, first.files.searchPoint);
    await benchImport(ctx);
    await benchColdStart(ctx, first.dataset, first.insidePoint);
    gate = evaluateGate(mode.gate, ctx.rows, first.dataset.name);
  }

  const results = {
    mode: modeName,
    only,
    modeSummary: modeSummary(mode),
    startedAt: new Date(Date.now() - (performance.now() - started)).toISOString(),
    elapsedS: (performance.now() - started) / 1000,
    runCommand: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    machine: machineInfo(),
    loadStart,
    loadEnd: loadavg().map((n) => n.toFixed(2)),
    versions: await collectVersions({ cluster, processes, repoRoot, ghz: ctx.ghz, cacheDir }),
    cacheDir,
    gate,
    notes: runNotes({ statsdAddress: statsd.address, stale, maxConnections: mode.maxConnections }),
    ...Object.fromEntries(
      ['rows', 'commands', 'datasets', 'variants', 'imports', 'coldStarts', 'memory', 'plans', 'sql'].map(
        (k) => [k, ctx[k]],
      ),
    ),
    pgliteFirstStartS: ctx.pgliteFirstStartS,
    memorySoak: ctx.memorySoak,
    scale: ctx.scale,
    telemetrySwitch: ctx.telemetrySwitch,
  };
  // A run of one part is named after it, so that it does not replace the report of a fuller run.
  const partial = only
    ? `-only-${only}`
    : ['datasets', 'duration', 'memory-requests'].some(option)
      ? '-partial'
      : '';
  const base = `${results.startedAt.slice(0, 10)}-${modeName}${partial}`;
  writeResults({ dir: join(repoRoot, 'bench', 'results'), base, results });
  log(`report: bench/results/${base}.md`);
  if (gate && !gate.pass) {
    log(`GATE FAILED: ${describeGate(gate)}`);
    return 1;
  }
  if (gate) log(`gate passed: ${describeGate(gate)}`);
  return 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
process.exit(exitCode);
