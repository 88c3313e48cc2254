import type { ImportResult, SearchCore } from '@geosearch/search-core';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';

/**
 * Natural Earth 1:50m countries (from the world-atlas package) as a GeoJSON
 * FeatureCollection; features without an ISO code take their name as id.
 * Loaded on demand: most starts (a database that has things) never need its 750 KB.
 */
export async function naturalEarthCountries(): Promise<unknown> {
  const { default: countries } = await import('world-atlas/countries-50m.json', { with: { type: 'json' } });
  const topology = countries as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const collection = feature(topology, topology.objects.countries) as unknown as {
    type: 'FeatureCollection';
    features: { id?: string | number; properties: { name: string } }[];
  };
  return {
    type: 'FeatureCollection',
    features: collection.features.map((f) => ({ ...f, id: f.id ?? f.properties.name })),
  };
}

/** Loads the sample countries when the database has no things; returns what it did, or undefined. */
export async function loadSampleDataIfEmpty(core: SearchCore): Promise<ImportResult | undefined> {
  if ((await core.countThings()) > 0) return undefined;
  return core.importThings([await naturalEarthCountries()]);
}
