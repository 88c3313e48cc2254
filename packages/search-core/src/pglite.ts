import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { postgis } from '@electric-sql/pglite-postgis';
import { Kysely, PGliteDialect } from 'kysely';
import type { Database } from './database.js';

/** Options of {@link openPglite}. */
export interface PgliteOptions {
  /** Data folder; omit for an in-memory database. */
  readonly dataDir?: string;
  /**
   * A tarball made by PGlite's `dumpDataDir()` to start from instead of an
   * empty cluster. The folder (or memory) must not hold a database yet.
   */
  readonly loadDataDir?: Blob;
}

/** An embedded PostgreSQL with PostGIS and pg_trgm, and a Kysely over it. */
export interface EmbeddedDatabase {
  readonly db: Kysely<Database>;
  readonly pglite: PGlite;
  /** Closes Kysely and the embedded database. */
  close(): Promise<void>;
}

/**
 * Opens embedded PGlite with the PostGIS and pg_trgm extensions loaded (they
 * are created by the migrations). The first start on a new folder takes
 * several seconds; later starts on the same folder, or from a
 * `loadDataDir` tarball, skip initdb and are faster.
 */
export async function openPglite(options: PgliteOptions = {}): Promise<EmbeddedDatabase> {
  const pglite = await PGlite.create({
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
    extensions: { postgis, pg_trgm },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  return {
    db,
    pglite,
    close: async () => {
      await db.destroy();
      if (!pglite.closed) await pglite.close();
    },
  };
}
