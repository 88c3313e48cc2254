import { sql } from 'kysely';
import { abortable, type CallOptions, type CoreContext } from '../context.js';
import { timed } from '../events.js';
import { type PageCursor, searchFingerprint } from '../page-token.js';
import { stCovers, stMakePoint } from '../postgis.js';
import { type Thing, thingColumns, thingGeometry, toThing } from '../thing.js';
import { parseOrThrow, type SearchInput, searchInputSchema } from '../validation.js';

/** One search hit. */
export interface SearchHit {
  readonly thing: Thing;
  /** Name similarity from 0 to 1; 1 when the search had no query. */
  readonly score: number;
}

/** One page of hits and the token for the next, if any. */
export interface SearchPage {
  readonly hits: readonly SearchHit[];
  readonly nextPageToken: string;
}

/** Escapes LIKE wildcards so the query text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Things whose footprint covers `point` (boundary included) and/or whose name
 * matches `query` (case-insensitive substring, or trigram similarity above
 * pg_trgm's threshold). Ranked by score descending then id ascending, with
 * keyset pagination, so pages are stable while rows are added.
 */
export async function search(
  ctx: CoreContext,
  input: SearchInput,
  options?: CallOptions,
): Promise<SearchPage> {
  const params = parseOrThrow(searchInputSchema(ctx.limits()), input);
  const { point, query, pageSize, view } = params;
  const fingerprint = () => searchFingerprint([point?.lng ?? null, point?.lat ?? null, query]);
  const after: PageCursor | undefined = params.pageToken
    ? ctx.pageTokens.decode(fingerprint(), params.pageToken)
    : undefined;
  const ranked = query !== '';
  if (after && ranked !== (after.score !== undefined)) {
    ctx.pageTokens.decode('', params.pageToken); // a token of the other kind: reject it the same way
  }

  const shape: SearchShape = {
    point: point !== undefined,
    ranked,
    after: after !== undefined,
    full: view === 'full',
  };
  const rows =
    (point && !ranked && !shape.full && fromPointIndex(ctx, point, after?.id ?? 0, pageSize + 1)) ||
    (await fromDatabase(ctx, shape, { point, query, after, limit: pageSize + 1 }, options));

  const page = rows.slice(0, pageSize);
  const last = page.at(-1);
  const nextPageToken =
    rows.length > pageSize && last
      ? ctx.pageTokens.encode(
          fingerprint(),
          ranked ? { score: last.score, id: last.thing.id } : { id: last.thing.id },
        )
      : '';
  return { hits: page, nextPageToken };
}

/**
 * The first `limit` things covering `point` with ids above `afterId`, from the
 * in-memory point index; undefined when the index cannot answer now.
 */
function fromPointIndex(
  ctx: CoreContext,
  point: { lng: number; lat: number },
  afterId: number,
  limit: number,
): SearchHit[] | undefined {
  const index = ctx.pointIndex;
  if (!index) return undefined;
  const start = performance.now();
  const ids = index.covering(point.lng, point.lat);
  if (!ids) {
    // A fresh index that cannot tell: the point lies on or within a few µm-mm of a stored edge
    // (point-store.ts); the database decides. Counted apart from the times the index is not fresh.
    if (index.status().state === 'ready') {
      ctx.onEvent?.({
        kind: 'query',
        name: 'search.point_index_near_edge',
        inProcess: true,
        durationMs: performance.now() - start,
        rows: 0,
      });
    }
    return undefined;
  }
  const hits: SearchHit[] = [];
  for (const id of ids) {
    if (hits.length === limit) break;
    const thing = id > afterId ? index.get(id) : undefined;
    if (thing) hits.push({ thing, score: 1 });
  }
  ctx.onEvent?.({
    kind: 'query',
    name: 'search.point_index',
    inProcess: true,
    durationMs: performance.now() - start,
    rows: hits.length,
  });
  return hits;
}

/** The first `limit` hits of the search from the database. */
async function fromDatabase(
  ctx: CoreContext,
  shape: SearchShape,
  params: {
    point: { lng: number; lat: number } | undefined;
    query: string;
    after: PageCursor | undefined;
    limit: number;
  },
  options: CallOptions | undefined,
): Promise<SearchHit[]> {
  const { point, query, after, limit } = params;
  // The values bound into the query: exactly those its shape uses.
  const args: Partial<SearchArgs> = {
    ...(point ? { lng: point.lng, lat: point.lat } : {}),
    ...(shape.ranked ? { query, pattern: `%${escapeLike(query)}%` } : {}),
    ...(after?.score !== undefined ? { afterScore: after.score } : {}),
    ...(after ? { afterId: after.id } : {}),
    limit,
  };
  const compiled = ctx.templates.bind(`search:${shapeKey(shape)}`, args, (standIns) =>
    searchQuery(ctx, shape, standIns as SearchArgs),
  );
  const { rows } = await timed(
    ctx.onEvent,
    point ? (shape.ranked ? 'search.point_and_name' : 'search.point') : 'search.name',
    () => ctx.db.executeQuery(compiled, abortable(ctx, options)),
    (r) => r.rows.length,
  );
  return rows.map((row) => ({ thing: toThing(row), score: Number(row.score) }));
}

/** What a search query's SQL depends on, besides its bound values. */
interface SearchShape {
  readonly point: boolean;
  readonly ranked: boolean;
  readonly after: boolean;
  readonly full: boolean;
}

const shapeKey = (shape: SearchShape) => `${+shape.point}${+shape.ranked}${+shape.after}${+shape.full}`;

/** The bound values of a search query (stand-ins when it is compiled). */
interface SearchArgs {
  readonly lng: number;
  readonly lat: number;
  readonly query: string;
  readonly pattern: string;
  readonly afterScore: number;
  readonly afterId: number;
  readonly limit: number;
}

/** Builds the search query of `shape` over the values `a`; compiled once per shape. */
function searchQuery(ctx: CoreContext, shape: SearchShape, a: SearchArgs) {
  // With a point: the things covering it, found first through the pieces' GiST index
  // and materialized, so that the plan is sound whatever the point and the LIMIT are
  // (even a generic one: planned without their values, it would otherwise walk every thing).
  const things = shape.point
    ? ctx.db
        .with(
          (cte) => cte('hits').materialized(),
          (db) =>
            db
              .selectFrom('thing_parts as p')
              .select('p.thing_id')
              .distinct()
              .where(stCovers(sql.ref('p.geom'), stMakePoint({ lng: a.lng, lat: a.lat }))),
        )
        .selectFrom('things as t')
        .innerJoin('hits', 'hits.thing_id', 't.id')
    : ctx.db.selectFrom('things as t');
  let q = things.select(thingColumns).$if(shape.full, (qb) => qb.select(thingGeometry));
  const score = shape.ranked ? sql<number>`similarity(t.name, ${a.query})` : sql<number>`1::real`;
  if (shape.ranked) {
    // `lower(name) LIKE lower(pattern)` is ILIKE in a UTF-8 database, written so that it matches the GIN
    // index on lower(name) (migration 0005) while `%` takes the GiST index on name (0004).
    q = q.where(sql<boolean>`(lower(t.name) LIKE lower(${a.pattern}) OR t.name % ${a.query})`);
    if (shape.after) {
      q = q.where(
        sql<boolean>`(${score} < ${a.afterScore}::real OR (${score} = ${a.afterScore}::real AND t.id > ${a.afterId}))`,
      );
    }
  } else if (shape.after) {
    q = q.where('t.id', '>', a.afterId);
  }
  return q.select(score.as('score')).orderBy(sql`score`, 'desc').orderBy('t.id', 'asc').limit(a.limit);
}
