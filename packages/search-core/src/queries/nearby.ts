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
 * The `limit` things nearest to `point`. Candidates come from the geography
 * GiST index through the `<->` operator (sphere distance); the final order
 * uses exact spheroid distances, so a few extra candidates are fetched to
 * absorb the difference.
 */
export async function nearby(
  ctx: CoreContext,
  input: NearbyInput,
  options?: CallOptions,
): Promise<NearbyHit[]> {
  const { point, limit, maxDistanceMeters, view } = parseOrThrow(nearbyInputSchema(ctx.limits()), input);
  const target = stMakeGeographyPoint(point);
  const geog = asGeography(sql.ref('t.geom'));
  const candidates = limit * 2 + 10;

  const rows = await timed(
    ctx.onEvent,
    'nearby',
    () =>
      ctx.db
        .with('candidates', (db) =>
          db
            .selectFrom('things as t')
            .select('t.id')
            .$if(maxDistanceMeters !== undefined, (qb) =>
              qb.where(stDWithin(geog, target, maxDistanceMeters ?? 0)),
            )
            .orderBy(sql`${geog} <-> ${target}`)
            .limit(candidates),
        )
        .selectFrom('things as t')
        .innerJoin('candidates as c', 'c.id', 't.id')
        .select(thingColumns)
        .$if(view === 'full', (qb) => qb.select(thingGeometry))
        .select(stDistanceMeters(geog, target).as('distance'))
        .orderBy(sql`distance`)
        .orderBy('t.id')
        .limit(limit)
        .execute(abortable(ctx, options)),
    (r) => r.length,
  );
  return rows.map((row) => ({ thing: toThing(row), distanceMeters: Number(row.distance) }));
}
