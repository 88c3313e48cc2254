import { type Kysely, sql } from 'kysely';
import type { CallOptions, CoreContext } from '../context.js';
import type { Database } from '../database.js';
import { GeoSearchError } from '../errors.js';
import { timed } from '../events.js';
import { checkFeature, type FeatureKeys, featuresOf, type ValidFeature } from '../geojson.js';
import { multiPolygonFromGeoJson } from '../postgis.js';

/** Why one feature was not imported. */
export interface ImportRejection {
  /** Position in the stream, from 0, across all messages and collections. */
  readonly index: number;
  readonly externalId: string;
  readonly reason: string;
}

/** A thing written by an import, for data events. */
export interface UpsertedThing {
  readonly id: number;
  readonly externalId: string;
  readonly version: number;
  readonly created: boolean;
}

/** Counts of an import, with up to `maxRejections` reasons. */
export interface ImportResult {
  readonly created: number;
  readonly updated: number;
  readonly rejected: number;
  readonly rejections: readonly ImportRejection[];
}

/** Options of {@link importThings}. */
export interface ImportOptions extends CallOptions, Partial<FeatureKeys> {
  /** Called after each batch commits, with what it wrote. Must not throw. */
  readonly onCommitted?: (things: readonly UpsertedThing[]) => void;
  /** How many rejection reasons to keep (all are counted). Default 1000. */
  readonly maxRejections?: number;
}

interface Pending {
  readonly index: number;
  readonly feature: ValidFeature;
}

interface BatchRow {
  idx: number;
  id: string | number | bigint | null;
  version: number | null;
  inserted: boolean | null;
}

const REPAIR_FAILED = 'geometry: is invalid and could not be repaired into a polygon';

/**
 * One batch, one statement, one transaction: geometries are repaired with
 * ST_MakeValid (keeping polygonal parts), then upserted by external id.
 * Rows whose repair leaves nothing polygonal come back as rejections.
 */
async function writeBatch(db: Kysely<Database>, batch: readonly Pending[]): Promise<BatchRow[]> {
  const payload = JSON.stringify(
    batch.map((p) => ({
      idx: p.index,
      external_id: p.feature.externalId,
      name: p.feature.name,
      properties: p.feature.properties,
      geometry: p.feature.geometry,
    })),
  );
  return db.transaction().execute(async (trx) => {
    const result = await sql<BatchRow>`
      WITH input AS MATERIALIZED (
        SELECT f.idx, f.external_id, f.name, f.properties, ${multiPolygonFromGeoJson(sql`f.geometry::text`)} AS geom
        FROM jsonb_to_recordset(${payload}::jsonb) AS f(idx int, external_id text, name text, properties jsonb, geometry jsonb)
      ),
      written AS (
        INSERT INTO things (external_id, name, properties, geom)
        SELECT external_id, name, properties, geom FROM input WHERE NOT ST_IsEmpty(geom)
        ON CONFLICT (external_id) DO UPDATE
          SET name = EXCLUDED.name, properties = EXCLUDED.properties, geom = EXCLUDED.geom,
              version = things.version + 1, updated_at = now()
        RETURNING id, external_id, version, (xmax = 0) AS inserted
      )
      SELECT i.idx, w.id, w.version, w.inserted
      FROM input i LEFT JOIN written w ON w.external_id = i.external_id
      ORDER BY i.idx`.execute(trx);
    return result.rows;
  });
}

/**
 * Upserts GeoJSON features by external id. Each item of `source` is a
 * Feature, a FeatureCollection, or JSON text of either. Invalid features are
 * rejected one by one with a reason; valid ones are written in batches, each
 * in one transaction, so a batch is either wholly written or not at all.
 */
export async function importThings(
  ctx: CoreContext,
  source: Iterable<unknown> | AsyncIterable<unknown>,
  options: ImportOptions = {},
): Promise<ImportResult> {
  const keys: FeatureKeys = {
    idProperty: options.idProperty || 'id',
    nameProperty: options.nameProperty || 'name',
  };
  const maxRejections = options.maxRejections ?? 1000;
  const rejections: ImportRejection[] = [];
  let created = 0;
  let updated = 0;
  let rejected = 0;
  let index = 0;
  let batch: Pending[] = [];
  let batchIds = new Set<string>();

  const reject = (r: ImportRejection) => {
    rejected++;
    if (rejections.length < maxRejections) rejections.push(r);
  };

  const commit = async (pending: readonly Pending[]) => {
    const rows = await timed(
      ctx.onEvent,
      'import.batch',
      () => writeBatch(ctx.db, pending),
      (r) => r.length,
    );
    const byIndex = new Map(pending.map((p) => [p.index, p]));
    const written: UpsertedThing[] = [];
    for (const row of rows) {
      const item = byIndex.get(row.idx);
      if (!item) continue;
      if (row.id === null) {
        reject({ index: row.idx, externalId: item.feature.externalId, reason: REPAIR_FAILED });
        continue;
      }
      if (row.inserted) created++;
      else updated++;
      written.push({
        id: Number(row.id),
        externalId: item.feature.externalId,
        version: Number(row.version),
        created: Boolean(row.inserted),
      });
    }
    if (written.length > 0) options.onCommitted?.(written);
  };

  /** Writes a batch; if the database refuses it (a geometry GEOS cannot handle), isolates the culprit feature by feature. */
  const flush = async () => {
    if (batch.length === 0) return;
    const pending = batch;
    batch = [];
    batchIds = new Set();
    options.signal?.throwIfAborted();
    try {
      await commit(pending);
    } catch (error) {
      if (!isDataError(error) || pending.length === 1) {
        if (pending.length === 1 && isDataError(error)) {
          const only = pending[0] as Pending;
          reject({ index: only.index, externalId: only.feature.externalId, reason: REPAIR_FAILED });
          return;
        }
        throw error;
      }
      for (const one of pending) {
        try {
          await commit([one]);
        } catch (inner) {
          if (!isDataError(inner)) throw inner;
          reject({ index: one.index, externalId: one.feature.externalId, reason: REPAIR_FAILED });
        }
      }
    }
  };

  for await (const value of source) {
    for (const item of featuresOf(value)) {
      const at = index++;
      if ('unreadable' in item) {
        reject({ index: at, externalId: '', reason: item.unreadable });
        continue;
      }
      const check = checkFeature(item.feature, keys, ctx.limits());
      if (!check.ok) {
        reject({ index: at, externalId: check.externalId, reason: check.reason });
        continue;
      }
      // The same external id twice in one statement cannot be upserted: the later one goes in the next batch.
      if (batchIds.has(check.feature.externalId)) await flush();
      batch.push({ index: at, feature: check.feature });
      batchIds.add(check.feature.externalId);
      if (batch.length >= ctx.limits().importBatchSize) await flush();
    }
  }
  await flush();
  return { created, updated, rejected, rejections };
}

/** True for errors caused by the data (SQLSTATE class 22 or XX000 from GEOS), not by the database being unavailable. */
function isDataError(error: unknown): boolean {
  if (error instanceof GeoSearchError) return false;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('22') || code === 'XX000');
}
