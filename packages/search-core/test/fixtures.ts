import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

const require = createRequire(import.meta.url);

/**
 * Natural Earth countries (from world-atlas) as GeoJSON features with an id
 * (ISO 3166 numeric, or the name where the data set has none) and a name.
 */
export function naturalEarthCountries(scale: '110m' | '50m' = '110m'): Feature<Polygon | MultiPolygon>[] {
  const path = require.resolve(`world-atlas/countries-${scale}.json`);
  const topology = JSON.parse(readFileSync(path, 'utf8')) as Topology<{
    countries: GeometryCollection<{ name: string }>;
  }>;
  const collection = feature(topology, topology.objects.countries) as unknown as FeatureCollection<
    Polygon | MultiPolygon,
    { name: string }
  >;
  return collection.features.map((f) => ({ ...f, id: f.id ?? f.properties.name }));
}

/** An axis-aligned square polygon feature, corners at (lng, lat) and (lng + size, lat + size). */
export function square(id: string, name: string, lng: number, lat: number, size = 1): Feature<Polygon> {
  return {
    type: 'Feature',
    id,
    properties: { name },
    geometry: {
      type: 'Polygon',
      coordinates: [
        [
          [lng, lat],
          [lng + size, lat],
          [lng + size, lat + size],
          [lng, lat + size],
          [lng, lat],
        ],
      ],
    },
  };
}
