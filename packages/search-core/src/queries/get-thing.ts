import type { ExpressionBuilder } from 'kysely';
import { abortable, type CallOptions, type CoreContext } from '../context.js';
import type { Database } from '../database.js';
import { GeoSearchError } from '../errors.js';
import { timed } from '../events.js';
import { type Thing, thingColumns, thingGeometry, toThing } from '../thing.js';
import { parseOrThrow, type ThingKey, type ThingView, thingKeySchema } from '../validation.js';

/** The `WHERE` condition selecting thing `t` by `key`. */
export function byKey(key: ThingKey) {
  return (eb: ExpressionBuilder<Database & { t: Database['things'] }, 't'>) =>
    'id' in key ? eb('t.id', '=', key.id) : eb('t.external_id', '=', key.externalId);
}

/** Describes a key for messages: `id 7` or `external id "de"`. */
export function describeKey(key: ThingKey): string {
  return 'id' in key ? `id ${key.id}` : `external id ${JSON.stringify(key.externalId)}`;
}

/** One thing by id or external id; `not_found` when there is none. */
export async function getThing(
  ctx: CoreContext,
  input: { key: unknown; view?: ThingView },
  options?: CallOptions,
): Promise<Thing> {
  const key = parseOrThrow(thingKeySchema(ctx.limits()), input.key);
  const row = await timed(
    ctx.onEvent,
    'get_thing',
    () =>
      ctx.db
        .selectFrom('things as t')
        .select(thingColumns)
        .$if(input.view === 'full', (qb) => qb.select(thingGeometry))
        .where(byKey(key))
        .executeTakeFirst(abortable(ctx, options)),
    (r) => (r ? 1 : 0),
  );
  if (!row) throw new GeoSearchError('not_found', `no thing with ${describeKey(key)}`);
  return toThing(row);
}
