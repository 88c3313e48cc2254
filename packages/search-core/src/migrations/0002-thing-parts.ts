import { type Kysely, sql } from 'kysely';

/**
 * `thing_parts`: every footprint cut into pieces of at most 255 vertices
 * (ST_Subdivide), so that a containment test on a country-sized polygon
 * touches one small piece instead of thousands of vertices. A trigger keeps
 * the pieces in step with `things` on insert and on geometry update; the
 * foreign key removes them on delete.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE thing_parts (
      thing_id bigint NOT NULL REFERENCES things (id) ON DELETE CASCADE,
      geom geometry(Geometry, 4326) NOT NULL
    )`.execute(db);
  await sql`CREATE INDEX thing_parts_geom_gist ON thing_parts USING gist (geom)`.execute(db);
  await sql`CREATE INDEX thing_parts_thing_id ON thing_parts (thing_id)`.execute(db);
  await sql`
    CREATE FUNCTION geosearch_refresh_thing_parts() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      DELETE FROM thing_parts WHERE thing_id = NEW.id;
      INSERT INTO thing_parts (thing_id, geom) SELECT NEW.id, ST_Subdivide(NEW.geom, 255);
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER things_refresh_parts AFTER INSERT OR UPDATE OF geom ON things
    FOR EACH ROW EXECUTE FUNCTION geosearch_refresh_thing_parts()`.execute(db);
  await sql`INSERT INTO thing_parts (thing_id, geom) SELECT id, ST_Subdivide(geom, 255) FROM things`.execute(
    db,
  );
}

/** Drops the pieces, the trigger and its function. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS things_refresh_parts ON things`.execute(db);
  await sql`DROP FUNCTION IF EXISTS geosearch_refresh_thing_parts()`.execute(db);
  await sql`DROP TABLE IF EXISTS thing_parts`.execute(db);
}
