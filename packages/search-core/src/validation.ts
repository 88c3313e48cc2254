import * as z from 'zod';
import { type FieldViolation, invalidArgument } from './errors.js';
import type { Limits } from './limits.js';

/** Turns zod issues into field violations with dotted paths. */
export function violationsOf(error: z.ZodError, prefix = ''): FieldViolation[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || prefix || '(request)',
    reason: issue.message,
  }));
}

/** Parses `input` with `schema`, or throws `invalid_argument` naming each bad field. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw invalidArgument(violationsOf(result.error));
  return result.data;
}

/**
 * True when `text` can be stored and compared by PostgreSQL as it is:
 * well-formed Unicode (no lone surrogates) with no NUL character, which
 * `text` and `jsonb` values cannot hold.
 */
export function isStorableText(text: string): boolean {
  return text.isWellFormed() && !text.includes('\0');
}

/** Why {@link isStorableText} refused a value. */
export const UNSTORABLE_TEXT = 'must be well-formed Unicode without NUL characters';

/** A WGS 84 point: finite degrees, latitude within ±90, longitude within ±180. */
export const pointSchema = z.object({
  lat: z
    .number({ error: 'must be a finite number' })
    .min(-90, 'must be between -90 and 90')
    .max(90, 'must be between -90 and 90'),
  lng: z
    .number({ error: 'must be a finite number' })
    .min(-180, 'must be between -180 and 180')
    .max(180, 'must be between -180 and 180'),
});

/** How much of a thing to return. */
export const viewSchema = z.enum(['basic', 'full']).default('basic');

/** What to return for each thing: `full` adds the geometry. */
export type ThingView = z.infer<typeof viewSchema>;

function pageSizeSchema(defaultSize: number, max: number) {
  return z
    .number()
    .int('must be a whole number')
    .min(0, `must be between 1 and ${max}`)
    .max(max, `must be between 1 and ${max}`)
    .optional()
    .transform((n) => (n === undefined || n === 0 ? defaultSize : n));
}

function buildSearchSchema(limits: Limits) {
  return z
    .object({
      point: pointSchema.optional(),
      query: z
        .string()
        .max(limits.maxQueryLength, `must be at most ${limits.maxQueryLength} characters`)
        .refine(isStorableText, UNSTORABLE_TEXT)
        .optional()
        .transform((q) => q?.trim() ?? ''),
      pageSize: pageSizeSchema(limits.defaultPageSize, limits.maxPageSize),
      pageToken: z.string().max(1024, 'is not a valid page token').optional().default(''),
      view: viewSchema,
    })
    .refine((s) => s.point !== undefined || s.query !== '', {
      message: 'give a point, a query, or both',
      path: ['query'],
    });
}

function buildNearbySchema(limits: Limits) {
  return z.object({
    point: pointSchema,
    limit: pageSizeSchema(limits.defaultNearbyLimit, limits.maxNearbyLimit),
    maxDistanceMeters: z
      .number({ error: 'must be a finite number' })
      .min(0, 'must not be negative')
      .optional()
      .transform((d) => (d === undefined || d === 0 ? undefined : d)),
    view: viewSchema,
  });
}

function buildKeySchema(limits: Limits) {
  const byId = z.object({ id: z.number().int('must be a whole number').positive('must be positive') });
  const byExternalId = z.object({
    externalId: z
      .string()
      .min(1, 'must not be empty')
      .max(limits.maxExternalIdLength, `must be at most ${limits.maxExternalIdLength} characters`)
      .refine(isStorableText, UNSTORABLE_TEXT),
  });
  const given = (value: unknown, key: string) =>
    typeof value === 'object' && value !== null && (value as Record<string, unknown>)[key] !== undefined;
  // The key given picks the schema, so a bad external id is reported as such, not as a missing key.
  return z.unknown().transform((value, ctx): z.output<typeof byId> | z.output<typeof byExternalId> => {
    const schema = given(value, 'externalId') ? byExternalId : given(value, 'id') ? byId : undefined;
    if (schema === undefined) {
      ctx.addIssue({ code: 'custom', message: 'give an id or an external id' });
      return z.NEVER;
    }
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    for (const issue of result.error.issues)
      ctx.addIssue({ ...issue, code: 'custom', message: issue.message });
    return z.NEVER;
  });
}

/** Builds a schema once per limits object: limits change rarely, requests often. */
function perLimits<S>(build: (limits: Limits) => S): (limits: Limits) => S {
  const cache = new WeakMap<Limits, S>();
  return (limits) => {
    let schema = cache.get(limits);
    if (schema === undefined) {
      schema = build(limits);
      cache.set(limits, schema);
    }
    return schema;
  };
}

/** The schema of a search request under `limits`. */
export const searchInputSchema = perLimits(buildSearchSchema);
/** The schema of a nearby request under `limits`. */
export const nearbyInputSchema = perLimits(buildNearbySchema);
/** The schema of a thing key (id or external id) under `limits`. */
export const thingKeySchema = perLimits(buildKeySchema);

/** A search request as callers write it. */
export type SearchInput = z.input<ReturnType<typeof buildSearchSchema>>;
/** A search request after validation and defaults. */
export type SearchParams = z.output<ReturnType<typeof buildSearchSchema>>;
/** A nearby request as callers write it. */
export type NearbyInput = z.input<ReturnType<typeof buildNearbySchema>>;
/** A nearby request after validation and defaults. */
export type NearbyParams = z.output<ReturnType<typeof buildNearbySchema>>;
/** Identifies one thing: by id or by external id. */
export type ThingKey = z.output<ReturnType<typeof buildKeySchema>>;
