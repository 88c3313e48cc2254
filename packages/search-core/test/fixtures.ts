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

/** One Natural Earth country by name; throws if the data set has no such country. */
export function naturalEarthCountry(
  name: string,
  scale: '110m' | '50m' = '110m',
): Feature<Polygon | MultiPolygon> {
  const found = naturalEarthCountries(scale).find((f) => f.properties?.name === name);
  if (!found) throw new Error(`no country named ${name} in world-atlas ${scale}`);
  return found;
}

/** A `columns` x `rows` grid of small squares with ids `g0`, `g1`... and names `Grid 0`, `Grid 1`... */
export function squareGrid(columns: number, rows: number, size = 0.01): Feature<Polygon>[] {
  const squares: Feature<Polygon>[] = [];
  for (let row = 0; row < rows; row++) {
    for (let column = 0; column < columns; column++) {
      const i = row * columns + column;
      squares.push(square(`g${i}`, `Grid ${i}`, column * size * 2, row * size * 2, size));
    }
  }
  return squares;
}
