import { type Kysely, sql } from 'kysely';

/**
 * The GIN trigram index of 0001 moves from `name` to `lower(name)`, and name
 * search writes its substring test as `lower(name) LIKE lower(pattern)`,
 * which in a UTF-8 database is what `ILIKE` does. With both trigram indexes
 * on `name` (0004) the planner took GiST for the substring branch too: on 1M
 * grid names that branch cost 28-46 ms through GiST against about 1 ms
 * through GIN. Now each branch has one index that fits it: GIN on
 * `lower(name)` for the substring, GiST on `name` for the similarity `%`.
 * One first page on 1M names: 126 → 88-97 ms (EXPLAIN ANALYZE, 2026-12-06);
 * the index took 3 s to build there. Through the server (the bench's name
 * queries, pages 1-4, 4 in flight): 1M 11.6 → 20.1-21.0 QPS, 100k 122-124 →
 * 181 QPS (GIN on `name` alone, before 0004: 8.8 and 79-90).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX things_name_lower_trgm ON things USING gin (lower(name) gin_trgm_ops)`.execute(db);
  await sql`DROP INDEX IF EXISTS things_name_trgm`.execute(db);
}

/** Puts the GIN index back on `name`. */
export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS things_name_trgm ON things USING gin (name gin_trgm_ops)`.execute(db);
  await sql`DROP INDEX IF EXISTS things_name_lower_trgm`.execute(db);
}
