import type { Kysely } from 'kysely';
import type { Database } from './database.js';
import type { CoreEventListener } from './events.js';
import type { Limits } from './limits.js';
import type { PageTokens } from './page-token.js';
import type { PointIndex } from './point-index/point-index.js';
import type { QueryTemplates } from './query-template.js';

/** What every core operation needs, supplied by the caller. */
export interface CoreContext {
  /** The database, built by the caller (PostgreSQL or PGlite). */
  readonly db: Kysely<Database>;
  /** The limits in force now (they may change at run time). */
  readonly limits: () => Limits;
  /** Receives telemetry events. */
  readonly onEvent?: CoreEventListener | undefined;
  /** Signs and checks page tokens. */
  readonly pageTokens: PageTokens;
  /**
   * What an aborted call does to its running query: PostgreSQL can cancel it
   * (`cancel query`); PGlite runs in-process and can only be left to finish.
   */
  readonly queryCancellation: 'cancel query' | 'ignore query';
  /** Answers point searches from memory while fresh; absent when not enabled. */
  readonly pointIndex?: PointIndex | undefined;
  /** Hot-path queries compiled once per shape. */
  readonly templates: QueryTemplates;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call and cancels its running query. */
  readonly signal?: AbortSignal | undefined;
}

/** Kysely execute options that stop waiting (and, where the backend can, cancel the query) when `signal` aborts. */
export function abortable(ctx: CoreContext, options: CallOptions | undefined) {
  return options?.signal ? { signal: options.signal, inflightQueryAbortStrategy: ctx.queryCancellation } : {};
}
