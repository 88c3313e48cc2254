import { randomBytes } from 'node:crypto';
import { type Kysely, sql } from 'kysely';

/**
 * The extensions, the `things` table with its indexes, and the settings
 * table holding this database's random page-token key.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE EXTENSION IF NOT EXISTS postgis`.execute(db);
  await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(db);
  await sql`
    CREATE TABLE things (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      external_id text NOT NULL UNIQUE,
      name text NOT NULL,
      properties jsonb NOT NULL DEFAULT '{}'::jsonb,
      geom geometry(MultiPolygon, 4326) NOT NULL,
      min_lng double precision GENERATED ALWAYS AS (ST_XMin(geom)) STORED,
      min_lat double precision GENERATED ALWAYS AS (ST_YMin(geom)) STORED,
      max_lng double precision GENERATED ALWAYS AS (ST_XMax(geom)) STORED,
      max_lat double precision GENERATED ALWAYS AS (ST_YMax(geom)) STORED,
      version integer NOT NULL DEFAULT 1,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX things_geom_gist ON things USING gist (geom)`.execute(db);
  await sql`CREATE INDEX things_geog_gist ON things USING gist ((geom::geography))`.execute(db);
  await sql`CREATE INDEX things_name_trgm ON things USING gin (name gin_trgm_ops)`.execute(db);
  await sql`
    CREATE TABLE geosearch_settings (
      key text PRIMARY KEY,
      value text NOT NULL
    )`.execute(db);
  await sql`INSERT INTO geosearch_settings (key, value) VALUES ('page_token_key', ${randomBytes(32).toString('base64')})`.execute(
    db,
  );
}

/** Drops everything {@link up} created except the shared extensions. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE IF EXISTS geosearch_settings`.execute(db);
  await sql`DROP TABLE IF EXISTS things`.execute(db);
}
