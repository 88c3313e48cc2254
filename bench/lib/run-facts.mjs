import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ghzVersion } from './ghz.mjs';
import { pgBin } from './postgres-cluster.mjs';

/** Versions of everything measured: the server, Node, PostgreSQL, PostGIS, pgbench, the load generators, the gRPC libraries. */
export async function collectVersions({ cluster, processes, repoRoot, ghz, cacheDir }) {
  const [[postgres, postgis] = []] = await cluster.sql(
    cluster.url('geosearch'),
    `SELECT current_setting('server_version'), postgis_lib_version()`,
  );
  const pgbench = (await processes.run(join(pgBin, 'pgbench'), ['--version'])).stdout.trim();
  const server = JSON.parse(
    readFileSync(join(repoRoot, 'packages', 'search-server', 'package.json'), 'utf8'),
  );
  // The commit measured; "+changes" when the working tree differed from it (the build is what ran).
  const git = async (...args) =>
    (
      await processes.run('git', args, { cwd: repoRoot, label: 'git' }).catch(() => ({ stdout: '' }))
    ).stdout.trim();
  const commit = await git('rev-parse', '--short=12', 'HEAD');
  const changed = (await git('status', '--porcelain', '--untracked-files=no')) !== '';
  return {
    'search-server': server.version,
    geosearch: commit ? `commit ${commit}${changed ? ' +changes' : ''}` : 'not a git checkout',
    node: process.version,
    PostgreSQL: postgres,
    PostGIS: postgis,
    pgbench: pgbench.replace(/^pgbench \(PostgreSQL\) /, ''),
    loadgen: `bench/loadgen, grpc-go ${readFileSync(join(repoRoot, 'bench', 'loadgen', 'go.mod'), 'utf8').match(/google\.golang\.org\/grpc (v\S+)/)?.[1] ?? '?'}`,
    ghz: `${ghzVersion} (${ghz.replace(cacheDir, '$GEOSEARCH_CACHE')})`,
    '@grpc/grpc-js': server.dependencies['@grpc/grpc-js'],
    'nice-grpc': server.dependencies['nice-grpc'],
  };
}

/** What a reader needs to know to read the numbers right; `stale` lists sources newer than the build. */
export function runNotes({ statsdAddress, stale, maxConnections }) {
  return [
    ...(stale.length > 0
      ? [
          `**The build was older than ${stale.length} source files** (${stale.slice(0, 5).join(', ')}${stale.length > 5 ? ', …' : ''}): these numbers are for the built code.`,
        ]
      : []),
    'Search by point: the server answers from its in-memory point index (the default `point_index=true`: every footprint\'s pieces in a packed R-tree, kept in step with the database through `thing_changes`); the bench waits until the index has loaded before measuring. "Search by point, point index off" is a second server that runs search-core\'s statement through Kysely and pg instead (named prepared statements, pool of 10 connections: the default `database_pool_size`), as name searches and full views always do. pgbench runs that statement with `-M prepared` and one connection per client, so at 32 in flight pgbench has 32 connections and the server 10.',
    'Two pgbench baselines: the same statement as the server (point and LIMIT bound), and the same with `LIMIT 51` written inline. After five executions of a prepared statement PostgreSQL may switch to a generic plan; the query-plans table shows what that costs for the bound statement.',
    'The load generator is loadgen (bench/loadgen: Go, grpc-go, requests serialized once, sent round-robin from a file of points, most inside a polygon, some anywhere in the extent); pgbench draws points uniformly in the extent with `\\set`. "points covered" in the data-set table gives each side\'s hit rate. The "client CPU" column is the CPU the generator itself used per call: ghz, the usual tool, spends several times more, which on two CPUs is taken from the server; its cross-check rows show the difference.',
    `loadgen, pgbench, PostgreSQL and the server share the same CPUs; loadgen and ghz spread the calls in flight over up to ${maxConnections} HTTP/2 connections (one per call in flight up to that), as several clients would; calls in flight when a run's time is up are not counted.`,
    "The fixed-rate row runs loadgen `-rps` at 80 % of the best closed-loop Search-by-point QPS of that data set; its latencies are measured from each call's scheduled start (no coordinated omission).",
    'Search by name replays the first pages and pre-fetched page tokens of each query (tokens are stateless keyset cursors).',
    `Servers run with GEOSEARCH_LOG_LEVEL=warn and GEOSEARCH_METRICS=false except in the logging-and-metrics table and the memory soak (info, on), whose StatsD packets go to a UDP socket of the bench (${statsdAddress}), not to a StatsD daemon.`,
    "The memory soak runs loadgen in segments, a new process and HTTP/2 connection each; RSS is read from `/proc/<pid>/status` between segments, once loadgen has exited. The soak server's log is emptied after each segment and deleted at the end (its size is kept).",
    'The bench runs its own PostgreSQL cluster (scripts/services/postgres with a private run folder and a free port), which also caches the generated data sets between runs.',
  ];
}
