import type { ColumnType, Generated, GeneratedAlways } from 'kysely';

/**
 * A geometry column. It is never selected raw: queries read it through
 * PostGIS functions (ST_AsGeoJSON, ST_Distance...) and write it from GeoJSON.
 */
export type GeometryColumn = ColumnType<never, never, never>;

/** `things`: one row per searchable place. */
export interface ThingsTable {
  /** bigint identity; the driver may return it as a string or bigint. */
  id: GeneratedAlways<string | number | bigint>;
  external_id: string;
  name: string;
  properties: ColumnType<Record<string, unknown>, string, string>;
  geom: GeometryColumn;
  min_lng: GeneratedAlways<number>;
  min_lat: GeneratedAlways<number>;
  max_lng: GeneratedAlways<number>;
  max_lat: GeneratedAlways<number>;
  version: Generated<number>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** `thing_parts`: each thing's footprint cut into pieces of at most 255 vertices, for fast containment tests. */
export interface ThingPartsTable {
  thing_id: string | number | bigint;
  geom: GeometryColumn;
}

/** `thing_changes`: one row per thing a transaction wrote, for copies that catch up (see migration 0003). */
export interface ThingChangesTable {
  /** The writing transaction's id (`xid8`), read and compared as text. */
  xid: ColumnType<string, never, never>;
  thing_id: string | number | bigint;
  changed_at: ColumnType<Date, never, never>;
}

/** `geosearch_settings`: small per-database settings such as the page-token key. */
export interface SettingsTable {
  key: string;
  value: string;
}

/** The schema core works on, for `Kysely<Database>`. */
export interface Database {
  things: ThingsTable;
  thing_parts: ThingPartsTable;
  thing_changes: ThingChangesTable;
  geosearch_settings: SettingsTable;
}
