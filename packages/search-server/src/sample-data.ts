import type { ImportResult, SearchCore } from '@geosearch/search-core';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import countries from 'world-atlas/countries-50m.json' with { type: 'json' };

/**
 * Natural Earth 1:50m countries (from the world-atlas package) as a GeoJSON
 * FeatureCollection; features without an ISO code take their name as id.
 */
export function naturalEarthCountries(): unknown {
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
  return core.importThings([naturalEarthCountries()]);
}
