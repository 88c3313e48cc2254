import { type Kysely, sql } from 'kysely';
import type { Database } from '../database.js';
import type { CoreEventListener } from '../events.js';
import type { Thing, ThingRow } from '../thing.js';
import {
  createPointStore,
  estimateBytes,
  type PointStoreCapacity,
  type StoredThing,
  type ThingRecord,
} from './point-store.js';
import { type PolygonRings, polygonsFromWkb } from './wkb.js';

/** Options of the in-memory point index. */
export interface PointIndexOptions {
  /**
   * Most memory the index may hold, in bytes, by its own estimate (4 bytes
   * a vertex of a piece under about 0.5° across, 8 of a larger one, plus
   * about 200 a thing in one piece with short names); with more data it
   * stays off and point searches go to the database. Default 1 GiB.
   */
  readonly maxBytes?: number;
  /** The index answers only while its last sync succeeded and is at most this old (ms). Default 2000. */
  readonly maxStalenessMs?: number;
  /** How long change records are kept before a sync prunes them (ms). Default 10 minutes. */
  readonly changeRetentionMs?: number;
  /** How often this index prunes old change records, at most (ms). Default one minute. */
  readonly pruneIntervalMs?: number;
  /**
   * Counts the data before a full load, so that the index's arrays are
   * allocated once at their size instead of grown (less memory left behind by
   * the load) and data over `maxBytes` is refused before it is read. Default
   * true; PGlite, which runs one statement at a time on the caller's thread,
   * does better without the extra statement before the first searches.
   */
  readonly sizeAhead?: boolean;
}

/** What the index is doing. */
export type PointIndexState =
  /** Loading for the first time; searches go to the database. */
  | 'loading'
  /** Answering point searches. */
  | 'ready'
  /** Its last successful sync is older than `maxStalenessMs`; searches go to the database until a sync succeeds. */
  | 'stale'
  /** The data needs more than `maxBytes`; searches go to the database. */
  | 'too large'
  /** Never loaded: the last attempt failed (see `error`); searches go to the database. */
  | 'failed';

/** A snapshot of the index for status reports. */
export interface PointIndexStatus {
  readonly state: PointIndexState;
  readonly things: number;
  /** Coordinate pairs held: a ring's closing point, a repeat of its first, is not kept. */
  readonly vertices: number;
  /** The memory it holds, in bytes, by its own estimate. */
  readonly bytes: number;
  /** Full loads completed so far: the first, and each reload when catching up was not possible. */
  readonly loads: number;
  /** Milliseconds since the last successful sync; undefined before the first. */
  readonly ageMs?: number;
  /** The last sync's failure, for logs. */
  readonly error?: string;
}

/**
 * A copy of every thing's footprint in memory, kept in step with the
 * database through `thing_changes`, that answers "which things cover this
 * point" without a query. It answers only while fresh; otherwise callers go
 * to the database.
 */
export interface PointIndex {
  /** Ids of the things covering the point, ascending; undefined when the index cannot answer now. */
  covering(lng: number, lat: number): number[] | undefined;
  /** A held thing (basic view). */
  get(id: number): Thing | undefined;
  /**
   * Brings the index up to date with every transaction committed before the
   * call: the first call loads everything. Concurrent calls share the work.
   * Never rejects: failures show in {@link status}.
   */
  sync(): Promise<PointIndexStatus>;
  status(): PointIndexStatus;
}

const BATCH = 1000;
/** The first batch of a full load, in things; it doubles up to BATCH while batches hold fewer than BATCH_VERTICES vertices. */
const FIRST_BATCH = 50;
const BATCH_VERTICES = 20_000;
/** With more changed things than this, reading everything again is cheaper. */
const MAX_CATCH_UP = 50_000;
/** After finding the data too large, how long before trying again (deletes may have shrunk it). */
const TOO_LARGE_RETRY_MS = 300_000;

/** Resolves after the event loop has run the timers and I/O callbacks already due. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

class TooLarge extends Error {}

/** A row of {@link readThings}' query: a thing's columns, its properties as JSON text. */
interface ThingRecordRow extends Omit<ThingRow, 'properties' | 'geometry'> {
  properties_json: string;
}

const epochMs = (value: Date | string) => (value instanceof Date ? value : new Date(value)).getTime();

function toRecord(row: ThingRecordRow): ThingRecord {
  return {
    id: Number(row.id),
    externalId: row.external_id,
    name: row.name,
    propertiesJson: row.properties_json,
    minLng: Number(row.min_lng),
    minLat: Number(row.min_lat),
    maxLng: Number(row.max_lng),
    maxLat: Number(row.max_lat),
    version: Number(row.version),
    createdAt: epochMs(row.created_at),
    updatedAt: epochMs(row.updated_at),
  };
}

/** Creates an empty point index over `db`; nothing is read until {@link PointIndex.sync}. */
export function createPointIndex(
  db: Kysely<Database>,
  options: PointIndexOptions & { readonly onEvent?: CoreEventListener | undefined } = {},
): PointIndex {
  const maxBytes = options.maxBytes ?? 2 ** 30;
  const maxStalenessMs = options.maxStalenessMs ?? 2000;
  const retentionMs = options.changeRetentionMs ?? 600_000;
  const pruneIntervalMs = options.pruneIntervalMs ?? 60_000;
  let store = createPointStore();
  /**
   * The snapshot the index is current with (`pg_snapshot` text): every
   * transaction visible in it is applied; undefined: never loaded.
   */
  let horizon: string | undefined;
  let syncedAt = Number.NEGATIVE_INFINITY;
  let prunedAt = Number.NEGATIVE_INFINITY;
  let tooLarge = false;
  let tooLargeAt = Number.NEGATIVE_INFINITY;
  let lastError: string | undefined;
  let loads = 0;
  let running: Promise<PointIndexStatus> | undefined;
  let queued: Promise<PointIndexStatus> | undefined;

  const report = (name: string, start: number, rows: number, error?: unknown) =>
    options.onEvent?.({
      kind: 'query',
      name: `point_index.${name}`,
      durationMs: performance.now() - start,
      rows,
      ...(error === undefined ? {} : { error }),
    });

  const overBudget = (bytes: number, measured = 'read so far') =>
    `the data needs more than the ${Math.round(maxBytes / 2 ** 20)} MiB allowed (${Math.round(bytes / 2 ** 20)} MiB ${measured})`;
  const fresh = () => horizon !== undefined && !tooLarge && performance.now() - syncedAt <= maxStalenessMs;

  /** Things (basic view) and their pieces: the next batch after id `after`, or those of `ids`. */
  async function readThings(
    trx: Kysely<Database>,
    which: { after: number; limit: number } | { ids: readonly number[] },
  ): Promise<StoredThing[]> {
    const { rows } = await sql<ThingRecordRow>`
      SELECT t.id, t.external_id, t.name, t.properties::text AS properties_json, t.min_lng, t.min_lat,
             t.max_lng, t.max_lat, t.version, t.created_at, t.updated_at
      FROM things t
      WHERE ${'after' in which ? sql`t.id > ${which.after} ORDER BY t.id LIMIT ${which.limit}` : sql`t.id = ANY(${which.ids}::bigint[])`}`.execute(
      trx,
    );
    if (rows.length === 0) return [];
    const ids = rows.map((row) => Number(row.id));
    const pieces = await sql<{ thing_id: string | number; wkb: Uint8Array }>`
      SELECT thing_id, ST_AsBinary(geom) AS wkb FROM thing_parts WHERE thing_id = ANY(${ids}::bigint[])`.execute(
      trx,
    );
    const byThing = new Map<number, PolygonRings[]>();
    for (const piece of pieces.rows) {
      const id = Number(piece.thing_id);
      const list = byThing.get(id) ?? [];
      for (const polygon of polygonsFromWkb(piece.wkb)) list.push(polygon);
      byThing.set(id, list);
    }
    return rows.map((row) => {
      const record = toRecord(row);
      return { record, pieces: byThing.get(record.id) ?? [] };
    });
  }

  /** What a full load will hold (an estimate: data may change while it loads). */
  async function measure(): Promise<PointStoreCapacity> {
    // Vertices as the store keeps them, without each ring's closing point. Wide: those of the pieces it keeps
    // in 32-bit coordinates (about 0.5° across or more; a hint for sizing).
    const { rows } = await sql<Record<keyof PointStoreCapacity, string | number | null>>`
      SELECT (SELECT count(*) FROM things) AS things, count(*) AS pieces,
             sum(ST_NRings(geom)) AS rings, sum(ST_NPoints(geom) - ST_NRings(geom)) AS vertices,
             sum(ST_NPoints(geom) - ST_NRings(geom)) FILTER (
               WHERE greatest(ST_XMax(geom) - ST_XMin(geom), ST_YMax(geom) - ST_YMin(geom)) > 0.4999
             ) AS "wideVertices"
      FROM thing_parts`.execute(db);
    const row = rows[0];
    return {
      things: Number(row?.things ?? 0),
      pieces: Number(row?.pieces ?? 0),
      rings: Number(row?.rings ?? 0),
      vertices: Number(row?.vertices ?? 0),
      wideVertices: Number(row?.wideVertices ?? 0),
    };
  }

  /**
   * Reads everything, in batches that each run as their own statement, so
   * that other queries (PGlite runs one at a time) wait for one batch at
   * most. Batches see data newer than the snapshot taken first; the next
   * catch-up re-reads whatever changed after it, so the index ends consistent.
   */
  async function loadAll(): Promise<void> {
    const start = performance.now();
    const { rows } = await sql<{ snapshot: string }>`SELECT pg_current_snapshot()::text AS snapshot`.execute(
      db,
    );
    const snapshot = rows[0]?.snapshot;
    if (!snapshot) throw new Error('no snapshot returned');
    // Sized first (100k octagons: 71 ms, 1M: 0.6 s on PostgreSQL), so that the arrays are allocated once
    // instead of grown and copied while loading (the copies' garbage stayed in the process's memory), and
    // data over the budget is refused before it is read.
    let capacity: PointStoreCapacity | undefined;
    if (options.sizeAhead ?? true) {
      capacity = await measure();
      const estimate = estimateBytes(capacity);
      if (estimate > maxBytes) throw new TooLarge(overBudget(estimate, 'counted before reading'));
    }
    const next = createPointStore(capacity);
    let after = 0;
    let limit = FIRST_BATCH;
    for (;;) {
      const before = next.vertices;
      const batch = await readThings(db, { after, limit });
      if (batch.length === 0) break;
      for (const thing of batch) next.put(thing);
      if (next.bytes > maxBytes) throw new TooLarge(overBudget(next.bytes));
      after = (batch.at(-1) as StoredThing).record.id;
      // Small footprints: larger batches; large ones (countries): keep each statement short.
      if (next.vertices - before < BATCH_VERTICES) limit = Math.min(limit * 2, BATCH);
      // PGlite answers without I/O, so without this the whole load would run as one chain of promise
      // continuations and hold back timers and I/O callbacks, such as the server's listen, until it ends.
      await yieldToEventLoop();
    }
    next.settle();
    store = next;
    horizon = snapshot;
    loads++;
    report('load', start, store.size);
  }

  /**
   * Applies the changes of the transactions committed since snapshot `since`
   * (invisible in it, visible now): each change is read once, however late
   * its transaction commits. False when a full load is needed instead.
   */
  async function catchUp(since: string): Promise<boolean> {
    const start = performance.now();
    const { rows } = await sql<{ snapshot: string; pruned: boolean; ids: string }>`
      SELECT pg_current_snapshot()::text AS snapshot,
             coalesce((SELECT value::numeric > pg_snapshot_xmin(${since}::pg_snapshot)::text::numeric
                       FROM geosearch_settings WHERE key = 'changes_pruned_below'), false) AS pruned,
             array_to_string(ARRAY(
               SELECT DISTINCT thing_id FROM thing_changes
               WHERE xid >= pg_snapshot_xmin(${since}::pg_snapshot)
                 AND NOT pg_visible_in_snapshot(xid, ${since}::pg_snapshot)
               LIMIT ${MAX_CATCH_UP + 1}
             ), ',') AS ids`.execute(db);
    const row = rows[0];
    if (!row) throw new Error('no snapshot returned');
    if (row.pruned) return false;
    const ids = row.ids === '' ? [] : row.ids.split(',').map(Number);
    if (ids.length > MAX_CATCH_UP) return false;
    const changed: StoredThing[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      for (const thing of await readThings(db, { ids: ids.slice(i, i + BATCH) })) changed.push(thing);
    }
    // Applied at once, between two searches: a search sees the changes of a sync all or none.
    const present = new Set(changed.map((t) => t.record.id));
    for (const id of ids) if (!present.has(id)) store.remove(id);
    for (const thing of changed) store.put(thing);
    store.settle();
    if (store.bytes > maxBytes) throw new TooLarge(overBudget(store.bytes));
    horizon = row.snapshot;
    report('sync', start, ids.length);
    return true;
  }

  async function prune(): Promise<void> {
    const start = performance.now();
    const { rows } = await sql<{ pruned: string }>`
      WITH gone AS (
        DELETE FROM thing_changes WHERE changed_at < now() - make_interval(secs => ${retentionMs / 1000}::float8)
        RETURNING xid
      ), mark AS (
        INSERT INTO geosearch_settings (key, value)
        SELECT 'changes_pruned_below', (max(xid::text::numeric) + 1)::text FROM gone HAVING count(*) > 0
        ON CONFLICT (key) DO UPDATE
          SET value = greatest(geosearch_settings.value::numeric, excluded.value::numeric)::text
      )
      SELECT count(*)::text AS pruned FROM gone`.execute(db);
    report('prune', start, Number(rows[0]?.pruned ?? 0));
  }

  async function runOnce(): Promise<PointIndexStatus> {
    const start = performance.now();
    if (tooLarge && start - tooLargeAt < TOO_LARGE_RETRY_MS) return status();
    try {
      if (horizon === undefined || tooLarge || !(await catchUp(horizon))) {
        tooLarge = false;
        await loadAll();
      }
      syncedAt = performance.now();
      lastError = undefined;
      if (syncedAt - prunedAt >= pruneIntervalMs) {
        prunedAt = syncedAt;
        await prune();
      }
    } catch (error) {
      // Not fresh any more: searches go to the database until a sync succeeds.
      syncedAt = Number.NEGATIVE_INFINITY;
      if (error instanceof TooLarge) {
        tooLarge = true;
        tooLargeAt = performance.now();
        store = createPointStore();
        horizon = undefined;
      }
      lastError = error instanceof Error ? error.message : String(error);
      report(horizon === undefined ? 'load' : 'sync', start, 0, error);
    }
    return status();
  }

  function status(): PointIndexStatus {
    const state: PointIndexState = tooLarge
      ? 'too large'
      : horizon === undefined
        ? lastError === undefined
          ? 'loading'
          : 'failed'
        : fresh()
          ? 'ready'
          : 'stale';
    return {
      state,
      things: store.size,
      vertices: store.vertices,
      bytes: store.bytes,
      loads,
      ...(Number.isFinite(syncedAt) ? { ageMs: Math.round(performance.now() - syncedAt) } : {}),
      ...(lastError === undefined ? {} : { error: lastError }),
    };
  }

  function sync(): Promise<PointIndexStatus> {
    if (!running) {
      running = runOnce().finally(() => {
        running = undefined;
      });
      return running;
    }
    queued ??= running.then(() => {
      queued = undefined;
      return sync();
    });
    return queued;
  }

  return {
    covering: (lng, lat) => (fresh() ? store.covering(lng, lat) : undefined),
    get: (id) => store.get(id),
    sync,
    status,
  };
}
