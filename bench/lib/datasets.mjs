import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gridInsertSql } from './grid-sql.mjs';
import { startSearchServer } from './search-server.mjs';

/** The data sets: synthetic octagon grids and Natural Earth countries (loaded by the server itself). */
export const datasetDefinitions = {
  'grid-10k': { kind: 'grid', count: 10_000 },
  'grid-100k': { kind: 'grid', count: 100_000 },
  'grid-1m': { kind: 'grid', count: 1_000_000 },
  countries: { kind: 'countries' },
};

/** Database name of a data set: `bench_grid_10k`. */
export const databaseName = (name) => `bench_${name.replaceAll('-', '_')}`;

/**
 * What a cached database must match to be reused: the generator, and the
 * migrations the server would apply (a new migration invalidates it).
 */
function fingerprint(repoRoot, definition) {
  const migrations = readdirSync(join(repoRoot, 'packages', 'search-core', 'src', 'migrations')).sort();
  const generator = definition.kind === 'grid' ? gridInsertSql(definition.count) : 'sample_data';
  return createHash('sha256')
    .update(JSON.stringify({ migrations, generator, v: 1 }))
    .digest('hex')
    .slice(0, 16);
}

/**
 * The database of data set `name` on `cluster`, reused when the cached copy
 * has the same fingerprint (kept in the database's comment), else rebuilt:
 * created fresh, migrated by starting the server once, filled, vacuumed and
 * analysed. Returns its URL, size and extent.
 */
export async function ensureDataset({ repoRoot, processes, cluster, name, workDir, log }) {
  const definition = datasetDefinitions[name];
  if (!definition) throw new Error(`unknown data set ${name}`);
  const db = databaseName(name);
  const mark = `geosearch-bench ${fingerprint(repoRoot, definition)}`;
  const admin = cluster.url('geosearch');
  const [[comment] = []] = await cluster.sql(
    admin,
    `SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = '${db}'`,
  );
  let url = cluster.url(db);
  let builtInS;
  if (comment !== mark) {
    const t0 = performance.now();
    log(`building data set ${name} in database ${db}`);
    url = await cluster.createdb(db);
    const server = await startSearchServer({
      repoRoot,
      processes,
      env: {
        DATABASE_URL: url,
        GEOSEARCH_SAMPLE_DATA: definition.kind === 'countries' ? 'true' : 'false',
        GEOSEARCH_LOG_LEVEL: 'info',
        GEOSEARCH_POINT_INDEX: 'false',
      },
      logFile: join(workDir, `migrate-${name}.log`),
    });
    await server.stop();
    if (definition.kind === 'grid') await cluster.sql(url, gridInsertSql(definition.count));
    await cluster.sql(url, 'VACUUM ANALYZE things');
    await cluster.sql(url, 'VACUUM ANALYZE thing_parts');
    await cluster.sql(admin, `COMMENT ON DATABASE ${db} IS '${mark}'`);
    builtInS = (performance.now() - t0) / 1000;
  }
  const [[count, parts, minLng, minLat, maxLng, maxLat] = []] = await cluster.sql(
    url,
    `SELECT (SELECT count(*) FROM things), (SELECT count(*) FROM thing_parts), ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
       FROM (SELECT ST_Extent(geom)::geometry AS e FROM things) x`,
  );
  return {
    name,
    db,
    url,
    count: Number(count),
    parts: Number(parts),
    extent: {
      minLng: Number(minLng),
      minLat: Number(minLat),
      maxLng: Number(maxLng),
      maxLat: Number(maxLat),
    },
    builtInS,
  };
}
