import { type Kysely, sql } from 'kysely';

/**
 * `thing_changes`: which things each transaction wrote, so that a copy of
 * the data held elsewhere (the point index of every server on the database)
 * can catch up by reading only what changed. A trigger adds a row per
 * inserted, updated or deleted thing, with the writing transaction's id;
 * readers ask for the rows of transactions that were not visible in the
 * snapshot they last read, which never misses a write committed late and
 * reads each row once. Old rows are pruned
 * by readers; `changes_pruned_below` in `geosearch_settings` records how far.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE thing_changes (
      xid xid8 NOT NULL DEFAULT pg_current_xact_id(),
      thing_id bigint NOT NULL,
      changed_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
  await sql`CREATE INDEX thing_changes_xid ON thing_changes (xid)`.execute(db);
  await sql`CREATE INDEX thing_changes_changed_at ON thing_changes (changed_at)`.execute(db);
  await sql`
    CREATE FUNCTION geosearch_record_thing_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO thing_changes (thing_id) VALUES (OLD.id);
      ELSE
        INSERT INTO thing_changes (thing_id) VALUES (NEW.id);
      END IF;
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER things_record_change AFTER INSERT OR UPDATE OR DELETE ON things
    FOR EACH ROW EXECUTE FUNCTION geosearch_record_thing_change()`.execute(db);
}

/** Drops the change log, its trigger and function, and the pruning mark. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TRIGGER IF EXISTS things_record_change ON things`.execute(db);
  await sql`DROP FUNCTION IF EXISTS geosearch_record_thing_change()`.execute(db);
  await sql`DROP TABLE IF EXISTS thing_changes`.execute(db);
  await sql`DELETE FROM geosearch_settings WHERE key = 'changes_pruned_below'`.execute(db);
}
