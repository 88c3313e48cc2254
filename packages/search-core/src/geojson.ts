import * as z from 'zod';
import type { FieldViolation } from './errors.js';
import type { Limits } from './limits.js';
import { isStorableText, UNSTORABLE_TEXT, violationsOf } from './validation.js';

/** A feature that passed validation, ready to write. */
export interface ValidFeature {
  readonly externalId: string;
  readonly name: string;
  readonly properties: Record<string, unknown>;
  /** The geometry object (Polygon or MultiPolygon), as received. */
  readonly geometry: { readonly type: 'Polygon' | 'MultiPolygon'; readonly coordinates: unknown };
}

/** The outcome of checking one feature. */
export type FeatureCheck =
  | { readonly ok: true; readonly feature: ValidFeature }
  | { readonly ok: false; readonly externalId: string; readonly reason: string };

/** Which properties hold a feature's external id and name. */
export interface FeatureKeys {
  readonly idProperty: string;
  readonly nameProperty: string;
}

const featureEnvelope = z.object({
  type: z.literal('Feature', { error: 'must be "Feature"' }),
  id: z.union([z.string(), z.number()]).optional(),
  properties: z.record(z.string(), z.unknown()).nullable().optional(),
  geometry: z.object({
    type: z.enum(['Polygon', 'MultiPolygon'], { error: 'must be Polygon or MultiPolygon' }),
    coordinates: z.array(z.unknown(), { error: 'must be an array' }),
  }),
});

/** Counts vertices while checking the rings of a polygon's coordinates; returns a violation or the count. */
function checkPolygon(rings: unknown, path: string, budget: number): FieldViolation | number {
  if (!Array.isArray(rings) || rings.length === 0)
    return { field: path, reason: 'must be a non-empty array of rings' };
  let vertices = 0;
  for (let r = 0; r < rings.length; r++) {
    const ring: unknown = rings[r];
    const ringPath = `${path}[${r}]`;
    if (!Array.isArray(ring) || ring.length < 4) {
      return { field: ringPath, reason: 'a ring needs at least 4 positions' };
    }
    for (let i = 0; i < ring.length; i++) {
      const position: unknown = ring[i];
      if (!Array.isArray(position) || position.length < 2 || position.length > 3) {
        return { field: `${ringPath}[${i}]`, reason: 'a position is [lng, lat] or [lng, lat, alt]' };
      }
      const [lng, lat] = position as unknown[];
      if (typeof lng !== 'number' || !Number.isFinite(lng) || lng < -180 || lng > 180) {
        return {
          field: `${ringPath}[${i}][0]`,
          reason: 'longitude must be a finite number between -180 and 180',
        };
      }
      if (typeof lat !== 'number' || !Number.isFinite(lat) || lat < -90 || lat > 90) {
        return {
          field: `${ringPath}[${i}][1]`,
          reason: 'latitude must be a finite number between -90 and 90',
        };
      }
    }
    const first = ring[0] as number[];
    const last = ring[ring.length - 1] as number[];
    if (first[0] !== last[0] || first[1] !== last[1]) {
      return { field: ringPath, reason: 'a ring must end where it starts' };
    }
    vertices += ring.length;
    if (vertices > budget) return { field: path, reason: 'has too many vertices' };
  }
  return vertices;
}

function checkGeometry(geometry: ValidFeature['geometry'], maxVertices: number): FieldViolation | undefined {
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : (geometry.coordinates as unknown[]);
  if (polygons.length === 0) return { field: 'geometry.coordinates', reason: 'must not be empty' };
  let budget = maxVertices;
  for (let p = 0; p < polygons.length; p++) {
    const path = geometry.type === 'Polygon' ? 'geometry.coordinates' : `geometry.coordinates[${p}]`;
    const result = checkPolygon(polygons[p], path, budget);
    if (typeof result !== 'number') {
      return result.reason === 'has too many vertices'
        ? { field: 'geometry', reason: `has more than ${maxVertices} vertices` }
        : result;
    }
    budget -= result;
  }
  return undefined;
}

/** The path of the first key or string inside `value` that PostgreSQL's jsonb cannot hold, if any. */
function unstorablePath(value: unknown, path: string): string | undefined {
  if (typeof value === 'string') return isStorableText(value) ? undefined : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = unstorablePath(value[i], `${path}[${i}]`);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [key, inner] of Object.entries(value)) {
      if (!isStorableText(key)) return path;
      const bad = unstorablePath(inner, `${path}.${key}`);
      if (bad !== undefined) return bad;
    }
  }
  return undefined;
}

function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim();
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** Checks one GeoJSON Feature: envelope, coordinates, vertex cap, external id and name. */
export function checkFeature(input: unknown, keys: FeatureKeys, limits: Limits): FeatureCheck {
  const envelope = featureEnvelope.safeParse(input);
  const guessId = textOf((input as { id?: unknown } | null)?.id) ?? '';
  const reject = (v: FieldViolation): FeatureCheck => ({
    ok: false,
    externalId: guessId,
    reason: `${v.field}: ${v.reason}`,
  });
  if (!envelope.success) {
    const first = violationsOf(envelope.error)[0] ?? { field: 'feature', reason: 'is not a GeoJSON Feature' };
    return reject(first);
  }
  const feature = envelope.data;
  const properties = feature.properties ?? {};
  const externalId = textOf(feature.id) ?? textOf(properties[keys.idProperty]);
  if (!externalId)
    return reject({
      field: 'id',
      reason: `missing: give the feature an id or a "${keys.idProperty}" property`,
    });
  if (externalId.length > limits.maxExternalIdLength) {
    return reject({ field: 'id', reason: `must be at most ${limits.maxExternalIdLength} characters` });
  }
  if (!isStorableText(externalId)) return { ok: false, externalId: '', reason: `id: ${UNSTORABLE_TEXT}` };
  const name = textOf(properties[keys.nameProperty]);
  const withId = (v: FieldViolation): FeatureCheck => ({
    ok: false,
    externalId,
    reason: `${v.field}: ${v.reason}`,
  });
  if (!name)
    return withId({
      field: `properties.${keys.nameProperty}`,
      reason: 'missing or empty: every feature needs a name',
    });
  if (name.length > limits.maxNameLength) {
    return withId({
      field: `properties.${keys.nameProperty}`,
      reason: `must be at most ${limits.maxNameLength} characters`,
    });
  }
  if (!isStorableText(name)) {
    return withId({ field: `properties.${keys.nameProperty}`, reason: UNSTORABLE_TEXT });
  }
  const badProperty = unstorablePath(properties, 'properties');
  if (badProperty !== undefined) return withId({ field: badProperty, reason: UNSTORABLE_TEXT });
  const geometry = feature.geometry as ValidFeature['geometry'];
  const problem = checkGeometry(geometry, limits.maxVertices);
  if (problem) return withId(problem);
  return { ok: true, feature: { externalId, name, properties, geometry } };
}

/** One item of an import stream: a feature to check, or why the GeoJSON around it was unreadable. */
export type FeatureItem = { readonly feature: unknown } | { readonly unreadable: string };

/**
 * The features in one GeoJSON value: a Feature, a FeatureCollection, or
 * JSON text of either. Unreadable input yields one `unreadable` item.
 */
export function* featuresOf(value: unknown): Generator<FeatureItem> {
  let parsed = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      yield { unreadable: 'geojson: is not valid JSON' };
      return;
    }
  }
  const collection = parsed as { type?: unknown; features?: unknown } | null;
  if (collection?.type === 'FeatureCollection') {
    if (!Array.isArray(collection.features)) {
      yield { unreadable: 'features: must be an array' };
      return;
    }
    for (const feature of collection.features) yield { feature };
    return;
  }
  yield { feature: parsed };
}
