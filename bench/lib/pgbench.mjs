import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { pgBin } from './postgres-cluster.mjs';
import { percentile } from './stats.mjs';

/** The two pgbench baselines: the server's statement exactly, and the same with its LIMIT written inline. */
export const pgbenchVariants = {
  statement: 'pgbench, same statement (LIMIT bound)',
  inline: 'pgbench, LIMIT 51 inline',
};

/** The point-in-polygon SELECT of search-core's `search` (point, no name), as Kysely compiles it. */
export const pointSearchSelect = (lng, lat, limit) =>
  'with "hits" as materialized (select distinct "p"."thing_id" from "thing_parts" as "p"' +
  ` where ST_Covers("p"."geom", ST_SetSRID(ST_MakePoint(${lng}::float8, ${lat}::float8), 4326)))` +
  ' select "t"."id", "t"."external_id", "t"."name", "t"."properties", "t"."min_lng", "t"."min_lat",' +
  ' "t"."max_lng", "t"."max_lat", "t"."version", "t"."created_at", "t"."updated_at", 1::real as "score"' +
  ' from "things" as "t" inner join "hits" on "hits"."thing_id" = "t"."id"' +
  ` order by score desc, "t"."id" asc limit ${limit}`;

/**
 * The pgbench script of a baseline, with the point drawn uniformly at random
 * inside `extent` by `\set`. `statement`: the server's statement exactly
 * (first page of the default 50, so LIMIT 51, bound as a parameter like the
 * point: with `-M prepared` all three are parameters, as they are for the
 * server). `inline`: the same with `LIMIT 51` in the text.
 */
export function pointSearchScript(extent, variant) {
  const scale = 1_000_000;
  const f = (n) => n.toFixed(7);
  return [
    `\\set lng ${f(extent.minLng)} + random(0, ${scale}) * ${f(extent.maxLng - extent.minLng)} / ${scale}.0`,
    `\\set lat ${f(extent.minLat)} + random(0, ${scale}) * ${f(extent.maxLat - extent.minLat)} / ${scale}.0`,
    ...(variant === 'inline' ? [] : ['\\set limit 51']),
    `${pointSearchSelect(':lng', ':lat', variant === 'inline' ? '51' : ':limit')};`,
    '',
  ].join('\n');
}

/** pgbench arguments: prepared statements, `clients` connections, `durationS` seconds, per-transaction log. */
export function pgbenchArgs({ url, scriptFile, clients, durationS, logPrefix }) {
  const u = new URL(url);
  return [
    '-n',
    '-M',
    'prepared',
    '-c',
    String(clients),
    '-j',
    String(Math.min(clients, availableParallelism())),
    '-T',
    String(durationS),
    '-f',
    scriptFile,
    '-l',
    `--log-prefix=${logPrefix}`,
    '-h',
    u.hostname,
    '-p',
    u.port,
    '-U',
    decodeURIComponent(u.username),
    u.pathname.slice(1),
  ];
}

/**
 * Runs pgbench; QPS is its TPS (one statement per transaction, initial
 * connection time excluded), p50/p99 come from its per-transaction log.
 */
export async function runPgbench({ processes, args, logPrefix, timeoutMs }) {
  const { stdout } = await processes.run(join(pgBin, 'pgbench'), args, { label: 'pgbench', timeoutMs });
  const tps = Number(stdout.match(/^tps = ([\d.]+)/m)?.[1] ?? Number.NaN);
  const failed = Number(stdout.match(/^number of failed transactions: (\d+)/m)?.[1] ?? 0);
  const dir = join(logPrefix, '..');
  const base = logPrefix.slice(dir.length + 1);
  const latenciesMs = [];
  for (const file of readdirSync(dir).filter((name) => name.startsWith(`${base}.`))) {
    const path = join(dir, file);
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      const micros = Number(line.split(' ')[2]);
      if (line !== '' && Number.isFinite(micros)) latenciesMs.push(micros / 1000);
    }
    rmSync(path);
  }
  latenciesMs.sort((a, b) => a - b);
  return {
    qps: tps,
    p50: percentile(latenciesMs, 50),
    p99: percentile(latenciesMs, 99),
    requests: latenciesMs.length,
    errors: failed,
  };
}

/** Writes the pgbench script of `variant` for `extent` to `file`; returns `file`. */
export function writePointSearchScript(file, extent, variant) {
  writeFileSync(file, pointSearchScript(extent, variant));
  return file;
}
