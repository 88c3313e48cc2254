import type { Kysely } from 'kysely';
import type { CallOptions, CoreContext } from './context.js';
import type { Database } from './database.js';
import { GeoSearchError } from './errors.js';
import type { CoreEventListener } from './events.js';
import { defaultLimits, type Limits } from './limits.js';
import { createPageTokens } from './page-token.js';
import {
  createPointIndex,
  type PointIndexOptions,
  type PointIndexStatus,
} from './point-index/point-index.js';
import { type DeletedThing, deleteThing } from './queries/delete-thing.js';
import { getThing } from './queries/get-thing.js';
import { type ImportOptions, type ImportResult, importThings } from './queries/import-things.js';
import { type NearbyHit, nearby } from './queries/nearby.js';
import { type SearchPage, search } from './queries/search.js';
import { countThings, type Stats, stats } from './queries/stats.js';
import { createQueryTemplates } from './query-template.js';
import type { Thing } from './thing.js';
import type { NearbyInput, SearchInput, ThingView } from './validation.js';

/** Options of {@link createSearchCore}. */
export interface SearchCoreOptions {
  /** A migrated database, built and owned by the caller. */
  readonly db: Kysely<Database>;
  /** Initial limits; missing keys take {@link defaultLimits}. */
  readonly limits?: Partial<Limits>;
  /** Receives a telemetry event per query. */
  readonly onEvent?: CoreEventListener;
  /** Page-token key; by default the database's own (shared by all instances on it). */
  readonly pageTokenKey?: Uint8Array;
  /**
   * Keep every footprint in memory and answer point searches (basic view, no
   * name) from it. Writes through this core are searchable when they return;
   * writes through other instances on the same database within one
   * {@link SearchCore.syncPointIndex} call of this one. Off by default.
   */
  readonly pointIndex?: PointIndexOptions | boolean;
  /** What aborting a call does to its running query; default `cancel query` (PostgreSQL). PGlite needs `ignore query`. */
  readonly queryCancellation?: 'cancel query' | 'ignore query';
}

/** The operations of the search service, bound to one database. */
export interface SearchCore {
  search(input: SearchInput, options?: CallOptions): Promise<SearchPage>;
  nearby(input: NearbyInput, options?: CallOptions): Promise<NearbyHit[]>;
  getThing(input: { key: unknown; view?: ThingView }, options?: CallOptions): Promise<Thing>;
  deleteThing(input: { key: unknown }, options?: CallOptions): Promise<DeletedThing>;
  importThings(
    source: Iterable<unknown> | AsyncIterable<unknown>,
    options?: ImportOptions,
  ): Promise<ImportResult>;
  countThings(options?: CallOptions): Promise<number>;
  stats(options?: CallOptions): Promise<Stats>;
  /**
   * Brings the point index up to date with everything committed before the
   * call (the first call loads it); the caller decides how often. Resolves
   * with its status, undefined when the index is off. Never rejects.
   */
  syncPointIndex(): Promise<PointIndexStatus | undefined>;
  /** The point index's status, undefined when it is off. */
  pointIndexStatus(): PointIndexStatus | undefined;
  /** The limits in force. */
  limits(): Limits;
  /** Replaces some limits; takes effect for the next call. */
  setLimits(changes: Partial<Limits>): void;
}

async function storedPageTokenKey(db: Kysely<Database>): Promise<Uint8Array> {
  const row = await db
    .selectFrom('geosearch_settings')
    .select('value')
    .where('key', '=', 'page_token_key')
    .executeTakeFirst();
  if (!row) throw new GeoSearchError('internal', 'the database is not migrated: no page token key');
  return Buffer.from(row.value, 'base64');
}

/** Binds the search operations to a migrated database. */
export async function createSearchCore(options: SearchCoreOptions): Promise<SearchCore> {
  let current: Limits = Object.freeze({ ...defaultLimits, ...options.limits });
  const ctx: CoreContext = {
    db: options.db,
    limits: () => current,
    onEvent: options.onEvent,
    pageTokens: createPageTokens(options.pageTokenKey ?? (await storedPageTokenKey(options.db))),
    queryCancellation: options.queryCancellation ?? 'cancel query',
    templates: createQueryTemplates(),
    pointIndex: options.pointIndex
      ? createPointIndex(options.db, {
          ...(options.pointIndex === true ? {} : options.pointIndex),
          onEvent: options.onEvent,
        })
      : undefined,
  };
  /** Runs a write, then lets the point index catch up with it, so that it is searchable on return. */
  const thenSync = async <T>(write: Promise<T>): Promise<T> => {
    try {
      return await write;
    } finally {
      await ctx.pointIndex?.sync();
    }
  };
  return {
    search: (input, o) => search(ctx, input, o),
    nearby: (input, o) => nearby(ctx, input, o),
    getThing: (input, o) => getThing(ctx, input, o),
    deleteThing: (input, o) => thenSync(deleteThing(ctx, input, o)),
    importThings: (source, o) => thenSync(importThings(ctx, source, o)),
    countThings: (o) => countThings(ctx, o),
    stats: (o) => stats(ctx, o),
    syncPointIndex: async () => ctx.pointIndex?.sync(),
    pointIndexStatus: () => ctx.pointIndex?.status(),
    limits: () => current,
    setLimits: (changes) => {
      current = Object.freeze({ ...current, ...changes });
    },
  };
}
