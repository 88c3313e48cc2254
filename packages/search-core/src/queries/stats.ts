import { abortable, type CallOptions, type CoreContext } from '../context.js';
import { timed } from '../events.js';
import { schemaVersion } from '../migrate.js';

/** What Monitor reports about the data. */
export interface Stats {
  readonly nThings: number;
  readonly schemaVersion: string;
}

/** How many things are stored. */
export async function countThings(ctx: CoreContext, options?: CallOptions): Promise<number> {
  const row = await timed(
    ctx.onEvent,
    'count_things',
    () =>
      ctx.db
        .selectFrom('things')
        .select((eb) => eb.fn.countAll<string | number | bigint>().as('n'))
        .executeTakeFirstOrThrow(abortable(ctx, options)),
    () => 1,
  );
  return Number(row.n);
}

/** The counts and schema version Monitor reports. */
export async function stats(ctx: CoreContext, options?: CallOptions): Promise<Stats> {
  const [nThings, version] = await Promise.all([countThings(ctx, options), schemaVersion(ctx.db)]);
  return { nThings, schemaVersion: version };
}
