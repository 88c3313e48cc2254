import type { CallOptions, CoreContext } from '../context.js';
import { GeoSearchError } from '../errors.js';
import { timed } from '../events.js';
import { parseOrThrow, thingKeySchema } from '../validation.js';
import { byKey, describeKey } from './get-thing.js';

/** What was deleted. */
export interface DeletedThing {
  readonly id: number;
  readonly externalId: string;
  /** The version the thing had when it was deleted. */
  readonly version: number;
}

/** Deletes one thing (its subdivided pieces go with it); `not_found` when there is none. */
export async function deleteThing(
  ctx: CoreContext,
  input: { key: unknown },
  options?: CallOptions,
): Promise<DeletedThing> {
  const key = parseOrThrow(thingKeySchema(ctx.limits()), input.key);
  options?.signal?.throwIfAborted();
  const row = await timed(
    ctx.onEvent,
    'delete_thing',
    () =>
      ctx.db
        .deleteFrom('things as t')
        .where(byKey(key))
        .returning(['t.id', 't.external_id', 't.version'])
        .executeTakeFirst(),
    (r) => (r ? 1 : 0),
  );
  if (!row) throw new GeoSearchError('not_found', `no thing with ${describeKey(key)}`);
  return { id: Number(row.id), externalId: row.external_id, version: Number(row.version) };
}
