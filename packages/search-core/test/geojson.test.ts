import { describe, expect, it } from 'vitest';
import { checkFeature, type FeatureCheck, featuresOf } from '../src/geojson.js';
import { defaultLimits, type Limits } from '../src/limits.js';
import { square } from './fixtures.js';

const keys = { idProperty: 'id', nameProperty: 'name' };
const limits: Limits = { ...defaultLimits, maxVertices: 12, maxNameLength: 10, maxExternalIdLength: 5 };

function reasonOf(check: FeatureCheck): string {
  if (check.ok) throw new Error('the feature was accepted');
  return check.reason;
}

/** A feature with the given geometry (a square's by default) and properties. */
function feature(overrides: Record<string, unknown> = {}, geometry?: unknown): Record<string, unknown> {
  const base = square('a', 'A', 0, 0) as unknown as Record<string, unknown>;
  return { ...base, ...(geometry === undefined ? {} : { geometry }), ...overrides };
}

function polygon(...ring: unknown[][]): unknown {
  return { type: 'Polygon', coordinates: [ring] };
}

describe('checkFeature', () => {
  it('accepts a Polygon and a MultiPolygon, keeping properties', () => {
    const check = checkFeature(feature({ properties: { name: ' A ', pop: 3 } }), keys, limits);
    expect(check).toEqual({
      ok: true,
      feature: {
        externalId: 'a',
        name: 'A',
        properties: { name: ' A ', pop: 3 },
        geometry: square('a', 'A', 0, 0).geometry,
      },
    });
    const multi = { type: 'MultiPolygon', coordinates: [square('a', 'A', 0, 0).geometry.coordinates] };
    expect(checkFeature(feature({}, multi), keys, limits).ok).toBe(true);
  });

  it('takes the id from the feature, else from the id property, numbers included', () => {
    const fromProperty = checkFeature(
      feature({ id: undefined, properties: { id: 'p1', name: 'A' } }),
      keys,
      limits,
    );
    expect(fromProperty.ok && fromProperty.feature.externalId).toBe('p1');
    const numeric = checkFeature(feature({ id: 276 }), keys, limits);
    expect(numeric.ok && numeric.feature.externalId).toBe('276');
    const custom = checkFeature(
      feature({ id: undefined, properties: { iso: 'DE', label: 'Germany' } }),
      { idProperty: 'iso', nameProperty: 'label' },
      limits,
    );
    expect(custom.ok && custom.feature).toMatchObject({ externalId: 'DE', name: 'Germany' });
  });

  it('rejects a missing, blank or too long id', () => {
    expect(reasonOf(checkFeature(feature({ id: undefined }), keys, limits))).toMatch(/^id: missing/);
    expect(reasonOf(checkFeature(feature({ id: '  ' }), keys, limits))).toMatch(/^id: missing/);
    expect(reasonOf(checkFeature(feature({ id: 'abcdef' }), keys, limits))).toMatch(/^id: must be at most 5/);
  });

  it('rejects a missing, blank or too long name, keeping the id', () => {
    for (const properties of [{}, { name: '' }, { name: '   ' }, { name: null }, { name: {} }, null]) {
      const check = checkFeature(feature({ properties }), keys, limits);
      expect(check).toMatchObject({ ok: false, externalId: 'a' });
      expect(reasonOf(check)).toMatch(/^properties\.name: missing/);
    }
    expect(reasonOf(checkFeature(feature({ properties: { name: 'x'.repeat(11) } }), keys, limits))).toMatch(
      /^properties\.name: must be at most 10/,
    );
  });

  it('rejects text PostgreSQL cannot store, naming where it is', () => {
    expect(reasonOf(checkFeature(feature({ id: 'a\u0000' }), keys, limits))).toMatch(/^id: /);
    expect(reasonOf(checkFeature(feature({ properties: { name: 'A\u0000' } }), keys, limits))).toMatch(
      /^properties\.name: must be well-formed/,
    );
    const deep = { name: 'A', tags: [{ note: 'ok' }, { note: 'bad \uD800' }] };
    expect(reasonOf(checkFeature(feature({ properties: deep }), keys, limits))).toBe(
      'properties.tags[1].note: must be well-formed Unicode without NUL characters',
    );
    const badKey = { name: 'A', 'k\u0000': 1 };
    expect(reasonOf(checkFeature(feature({ properties: badKey }), keys, limits))).toMatch(/^properties: /);
  });

  it('rejects what is not a polygonal Feature', () => {
    for (const input of [null, 42, 'text', [], { type: 'Point' }]) {
      expect(checkFeature(input, keys, limits)).toMatchObject({ ok: false, externalId: '' });
    }
    expect(reasonOf(checkFeature(feature({ type: 'Thing' }), keys, limits))).toMatch(/^type: /);
    expect(
      reasonOf(checkFeature(feature({}, { type: 'LineString', coordinates: [] }), keys, limits)),
    ).toMatch(/^geometry\.type: must be Polygon or MultiPolygon/);
    expect(reasonOf(checkFeature(feature({ geometry: null }), keys, limits))).toMatch(/^geometry/);
  });

  it('rejects bad rings and positions, naming the position', () => {
    const cases: [unknown, RegExp][] = [
      [{ type: 'Polygon', coordinates: [] }, /^geometry\.coordinates: must be a non-empty array of rings/],
      [{ type: 'MultiPolygon', coordinates: [] }, /^geometry\.coordinates: must not be empty/],
      [polygon([0, 0], [1, 0], [0, 0]), /^geometry\.coordinates\[0\]: a ring needs at least 4 positions/],
      [
        polygon([0, 0], [1, 0], [1, 1], [0, 1]),
        /^geometry\.coordinates\[0\]: a ring must end where it starts/,
      ],
      [polygon([0, 0], [1, 0], [1, 1], [0]), /^geometry\.coordinates\[0\]\[3\]: a position is/],
      [polygon([0, 0], [1, 0], [1, 1], [0, 0, 0, 0]), /^geometry\.coordinates\[0\]\[3\]: a position is/],
      [polygon([0, 0], [181, 0], [1, 1], [0, 0]), /^geometry\.coordinates\[0\]\[1\]\[0\]: longitude/],
      [polygon([0, 0], [1, -91], [1, 1], [0, 0]), /^geometry\.coordinates\[0\]\[1\]\[1\]: latitude/],
      [polygon([0, 0], [Number.NaN, 0], [1, 1], [0, 0]), /^geometry\.coordinates\[0\]\[1\]\[0\]: longitude/],
      [polygon([0, 0], [1, Number.POSITIVE_INFINITY], [1, 1], [0, 0]), /\[1\]\[1\]: latitude/],
      [polygon([0, 0], ['1', 0], [1, 1], [0, 0]), /\[1\]\[0\]: longitude/],
      [
        {
          type: 'MultiPolygon',
          coordinates: [
            [
              [
                [0, 0],
                [1, 0],
                [1, 1],
                [0, 0],
              ],
            ],
            'x',
          ],
        },
        /^geometry\.coordinates\[1\]: must be a non-empty array of rings/,
      ],
    ];
    for (const [geometry, reason] of cases) {
      expect(reasonOf(checkFeature(feature({}, geometry), keys, limits))).toMatch(reason);
    }
  });

  it('accepts positions with an altitude', () => {
    expect(
      checkFeature(feature({}, polygon([0, 0, 5], [1, 0, 5], [1, 1, 5], [0, 0, 5])), keys, limits).ok,
    ).toBe(true);
  });

  it('caps the vertices of the whole geometry', () => {
    const triangle = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 0],
    ];
    const square4 = [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
      [0, 0],
    ];
    const twelve = { type: 'MultiPolygon', coordinates: [[triangle], [triangle], [triangle]] };
    expect(checkFeature(feature({}, twelve), keys, limits).ok).toBe(true);
    const thirteen = { type: 'MultiPolygon', coordinates: [[triangle], [triangle], [square4]] };
    expect(reasonOf(checkFeature(feature({}, thirteen), keys, limits))).toBe(
      'geometry: has more than 12 vertices',
    );
    const holes = { type: 'Polygon', coordinates: [square4, triangle, triangle] };
    expect(reasonOf(checkFeature(feature({}, holes), keys, limits))).toBe(
      'geometry: has more than 12 vertices',
    );
  });
});

describe('featuresOf', () => {
  const one = square('a', 'A', 0, 0);

  it('reads a Feature, a FeatureCollection, and JSON text of either', () => {
    expect([...featuresOf(one)]).toEqual([{ feature: one }]);
    const collection = { type: 'FeatureCollection', features: [one, one] };
    expect([...featuresOf(collection)]).toEqual([{ feature: one }, { feature: one }]);
    expect([...featuresOf(JSON.stringify(collection))]).toEqual([{ feature: one }, { feature: one }]);
    expect([...featuresOf(JSON.stringify(one))]).toEqual([{ feature: one }]);
    expect([...featuresOf({ type: 'FeatureCollection', features: [] })]).toEqual([]);
  });

  it('reports unreadable input as one item with a reason', () => {
    expect([...featuresOf('{"type": "Feature", ')]).toEqual([{ unreadable: 'geojson: is not valid JSON' }]);
    expect([...featuresOf({ type: 'FeatureCollection', features: 'many' })]).toEqual([
      { unreadable: 'features: must be an array' },
    ]);
  });

  it('passes anything else on as a feature, for checkFeature to judge', () => {
    expect([...featuresOf(null)]).toEqual([{ feature: null }]);
    expect([...featuresOf('42')]).toEqual([{ feature: 42 }]);
  });
});
