import { describe, expect, it } from 'vitest';
import { GeoSearchError } from '../src/errors.js';
import { defaultLimits, type Limits } from '../src/limits.js';
import {
  isStorableText,
  nearbyInputSchema,
  parseOrThrow,
  searchInputSchema,
  thingKeySchema,
} from '../src/validation.js';

const limits: Limits = { ...defaultLimits, maxPageSize: 100, maxQueryLength: 20, maxExternalIdLength: 10 };

/** The fields `parseOrThrow` names when it refuses `input`. */
function refusedFields(schema: Parameters<typeof parseOrThrow>[0], input: unknown): string[] {
  try {
    parseOrThrow(schema, input);
  } catch (error) {
    expect(error).toBeInstanceOf(GeoSearchError);
    expect((error as GeoSearchError).code).toBe('invalid_argument');
    return (error as GeoSearchError).violations.map((v) => v.field);
  }
  throw new Error(`accepted: ${JSON.stringify(input)}`);
}

describe('search requests', () => {
  const schema = searchInputSchema(limits);

  it('fill in defaults and trim the query', () => {
    expect(parseOrThrow(schema, { query: '  berlin ' })).toEqual({
      query: 'berlin',
      pageSize: defaultLimits.defaultPageSize,
      pageToken: '',
      view: 'basic',
    });
    expect(parseOrThrow(schema, { point: { lat: 1, lng: 2 }, pageSize: 0 }).pageSize).toBe(
      defaultLimits.defaultPageSize,
    );
  });

  it('need a point or a non-blank query', () => {
    expect(refusedFields(schema, {})).toEqual(['query']);
    expect(refusedFields(schema, { query: '   ' })).toEqual(['query']);
  });

  it('refuse bad coordinates naming the axis', () => {
    expect(refusedFields(schema, { point: { lat: 90.0001, lng: 0 } })).toEqual(['point.lat']);
    expect(refusedFields(schema, { point: { lat: 0, lng: -180.5 } })).toEqual(['point.lng']);
    expect(refusedFields(schema, { point: { lat: Number.NaN, lng: 0 } })).toEqual(['point.lat']);
    expect(refusedFields(schema, { point: { lat: 0, lng: Number.NEGATIVE_INFINITY } })).toEqual([
      'point.lng',
    ]);
    expect(refusedFields(schema, { point: { lat: '1', lng: 0 } })).toEqual(['point.lat']);
    expect(refusedFields(schema, { point: { lat: 0 } })).toEqual(['point.lng']);
  });

  it('accept the edges of the coordinate ranges', () => {
    for (const point of [
      { lat: 90, lng: 180 },
      { lat: -90, lng: -180 },
    ]) {
      expect(parseOrThrow(schema, { point }).point).toEqual(point);
    }
  });

  it('cap page sizes and query lengths', () => {
    expect(parseOrThrow(schema, { query: 'x', pageSize: 100 }).pageSize).toBe(100);
    expect(refusedFields(schema, { query: 'x', pageSize: 101 })).toEqual(['pageSize']);
    expect(refusedFields(schema, { query: 'x', pageSize: -1 })).toEqual(['pageSize']);
    expect(refusedFields(schema, { query: 'x', pageSize: 2.5 })).toEqual(['pageSize']);
    expect(refusedFields(schema, { query: 'x'.repeat(21) })).toEqual(['query']);
    expect(refusedFields(schema, { query: 'x', pageToken: 't'.repeat(1025) })).toEqual(['pageToken']);
  });

  it('refuse query text PostgreSQL cannot hold (NUL, lone surrogates)', () => {
    expect(refusedFields(schema, { query: 'a\u0000b' })).toEqual(['query']);
    expect(refusedFields(schema, { query: 'a\uD800b' })).toEqual(['query']);
    expect(parseOrThrow(schema, { query: "'; DROP x; --" }).query).toBe("'; DROP x; --");
  });

  it('refuse an unknown view', () => {
    expect(refusedFields(schema, { query: 'x', view: 'everything' })).toEqual(['view']);
  });

  it('are checked under the limits in force', () => {
    const wider = searchInputSchema({ ...limits, maxPageSize: 500 });
    expect(parseOrThrow(wider, { query: 'x', pageSize: 500 }).pageSize).toBe(500);
    expect(searchInputSchema(limits)).toBe(schema);
  });
});

describe('nearby requests', () => {
  const schema = nearbyInputSchema(limits);

  it('need a point and fill in the limit', () => {
    expect(refusedFields(schema, {})).toEqual(['point']);
    expect(parseOrThrow(schema, { point: { lat: 0, lng: 0 } })).toMatchObject({
      limit: defaultLimits.defaultNearbyLimit,
      view: 'basic',
    });
  });

  it('cap the limit and refuse negative distances', () => {
    const point = { lat: 0, lng: 0 };
    expect(refusedFields(schema, { point, limit: limits.maxNearbyLimit + 1 })).toEqual(['limit']);
    expect(refusedFields(schema, { point, limit: -3 })).toEqual(['limit']);
    expect(refusedFields(schema, { point, maxDistanceMeters: -1 })).toEqual(['maxDistanceMeters']);
    expect(refusedFields(schema, { point, maxDistanceMeters: Number.NaN })).toEqual(['maxDistanceMeters']);
    expect(parseOrThrow(schema, { point, maxDistanceMeters: 0 }).maxDistanceMeters).toBeUndefined();
  });
});

describe('thing keys', () => {
  const schema = thingKeySchema(limits);

  it('take an id or an external id', () => {
    expect(parseOrThrow(schema, { id: 7 })).toEqual({ id: 7 });
    expect(parseOrThrow(schema, { externalId: 'de' })).toEqual({ externalId: 'de' });
  });

  it('refuse everything else', () => {
    for (const key of [
      {},
      { id: 0 },
      { id: -1 },
      { id: 1.5 },
      { id: '7' },
      { externalId: '' },
      { externalId: 'x'.repeat(11) },
      { externalId: 'a\u0000' },
      null,
    ]) {
      expect(refusedFields(schema, key).length).toBeGreaterThan(0);
    }
  });

  it('name the field and the reason of a bad key', () => {
    expect(refusedFields(schema, { externalId: '' })).toEqual(['externalId']);
    expect(refusedFields(schema, { id: 1.5 })).toEqual(['id']);
    expect(() => parseOrThrow(schema, { externalId: 'x'.repeat(11) })).toThrow(/at most 10 characters/);
    expect(() => parseOrThrow(schema, {})).toThrow(/give an id or an external id/);
  });
});

describe('storable text', () => {
  it('is well-formed Unicode without NUL', () => {
    expect(isStorableText('Zürich 🏙️ עִבְרִית e\u0301')).toBe(true);
    expect(isStorableText('a\u0000')).toBe(false);
    expect(isStorableText('\uDC00')).toBe(false);
    expect(isStorableText('\uD83D')).toBe(false);
  });
});
