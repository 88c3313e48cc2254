import { sql } from 'kysely';
import { abortable, type CallOptions, type CoreContext } from '../context.js';
import { timed } from '../events.js';
import { asGeography, stDistanceMeters, stDWithin, stMakeGeographyPoint } from '../postgis.js';
import { type Thing, thingColumns, thingGeometry, toThing } from '../thing.js';
import { type NearbyInput, nearbyInputSchema, parseOrThrow } from '../validation.js';

/** One nearby thing and its distance. */
export interface NearbyHit {
  readonly thing: Thing;
  /** Metres on the WGS 84 spheroid to the nearest part of the footprint; 0 inside it. */
  readonly distanceMeters: number;
}

/**
 * Slack added to the search radius so that rounding differences between
 * ST_Distance and ST_DWithin never drop a candidate: relative, then metres.
 */
const REACH_SLACK = { relative: 1e-6, meters: 0.01 };

/**
 * The `limit` things nearest to `point`, by exact spheroid distance, ties by
 * id. The geography GiST index's `<->` operator ranks by sphere distance,
 * which can disagree with the spheroid by a few tenths of a percent; so its
 * `limit` nearest only bound the answer: every true answer lies within the
 * farthest of them (spheroid), and that radius is searched exactly.
 */
export async function nearby(
  ctx: CoreContext,
  input: NearbyInput,
  options?: CallOptions,
): Promise<NearbyHit[]> {
  const { point, limit, maxDistanceMeters, view } = parseOrThrow(nearbyInputSchema(ctx.limits()), input);
  const target = stMakeGeographyPoint(point);
  const geog = asGeography(sql.ref('t.geom'));
  const distance = stDistanceMeters(geog, target);

  const rows = await timed(
    ctx.onEvent,
    'nearby',
    () =>
      ctx.db
        .with('candidates', (db) =>
          db
            .selectFrom('things as t')
            .select(distance.as('meters'))
            .$if(maxDistanceMeters !== undefined, (qb) =>
              qb.where(stDWithin(geog, target, maxDistanceMeters ?? 0)),
            )
            .orderBy(sql`${geog} <-> ${target}`)
            .limit(limit),
        )
        .with('reach', (db) =>
          db
            .selectFrom('candidates')
            .select(
              sql<number>`max(meters) * ${1 + REACH_SLACK.relative}::float8 + ${REACH_SLACK.meters}::float8`.as(
                'meters',
              ),
            ),
        )
        .selectFrom(['things as t', 'reach as r'])
        .select(thingColumns)
        .$if(view === 'full', (qb) => qb.select(thingGeometry))
        .select(distance.as('distance'))
        .where(stDWithin(geog, target, sql.ref<number>('r.meters')))
        .$if(maxDistanceMeters !== undefined, (qb) =>
          qb.where(stDWithin(geog, target, maxDistanceMeters ?? 0)),
        )
        .orderBy(sql`distance`)
        .orderBy('t.id')
        .limit(limit)
        .execute(abortable(ctx, options)),
    (r) => r.length,
  );
  return rows.map((row) => ({ thing: toThing(row), distanceMeters: Number(row.distance) }));
}
