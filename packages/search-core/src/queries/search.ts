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
  const fingerprint = searchFingerprint([point?.lng ?? null, point?.lat ?? null, query]);
  const after: PageCursor | undefined = params.pageToken
    ? ctx.pageTokens.decode(fingerprint, params.pageToken)
    : undefined;
  const ranked = query !== '';
  if (after && ranked !== (after.score !== undefined)) {
    ctx.pageTokens.decode('', params.pageToken); // a token of the other kind: reject it the same way
  }

  let q = ctx.db
    .selectFrom('things as t')
    .select(thingColumns)
    .$if(view === 'full', (qb) => qb.select(thingGeometry));
  if (point) {
    q = q.where('t.id', 'in', (eb) =>
      eb
        .selectFrom('thing_parts as p')
        .select('p.thing_id')
        .where(stCovers(sql.ref('p.geom'), stMakePoint(point))),
    );
  }
  const score = ranked ? sql<number>`similarity(t.name, ${query})` : sql<number>`1::real`;
  if (ranked) {
    const pattern = `%${escapeLike(query)}%`;
    q = q.where(sql<boolean>`(t.name ILIKE ${pattern} OR t.name % ${query})`);
    if (after?.score !== undefined) {
      q = q.where(
        sql<boolean>`(${score} < ${after.score}::real OR (${score} = ${after.score}::real AND t.id > ${after.id}))`,
      );
    }
  } else if (after) {
    q = q.where('t.id', '>', after.id);
  }
  const rows = await timed(
    ctx.onEvent,
    point ? (ranked ? 'search.point_and_name' : 'search.point') : 'search.name',
    () =>
      q
        .select(score.as('score'))
        .orderBy(sql`score`, 'desc')
        .orderBy('t.id', 'asc')
        .limit(pageSize + 1)
        .execute(abortable(ctx, options)),
    (r) => r.length,
  );

  const page = rows.slice(0, pageSize);
  const hits = page.map((row) => ({ thing: toThing(row), score: Number(row.score) }));
  const last = page.at(-1);
  const nextPageToken =
    rows.length > pageSize && last
      ? ctx.pageTokens.encode(
          fingerprint,
          ranked ? { score: Number(last.score), id: Number(last.id) } : { id: Number(last.id) },
        )
      : '';
  return { hits, nextPageToken };
}
