import { pathToFileURL } from 'node:url';
import { type Extension, PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { postgis } from '@electric-sql/pglite-postgis';
import { Kysely, PGliteDialect } from 'kysely';
import type { Database } from './database.js';
import { trimmedPostgisBundle } from './postgis-bundle.js';

/** Options of {@link openPglite}. */
export interface PgliteOptions {
  /** Data folder; omit for an in-memory database. */
  readonly dataDir?: string;
  /**
   * A tarball made by PGlite's `dumpDataDir()` to start from instead of an
   * empty cluster. The folder (or memory) must not hold a database yet.
   */
  readonly loadDataDir?: Blob;
  /**
   * Where the trimmed PostGIS bundle is kept (postgis-bundle.ts): a folder
   * of this user's only. Default: `geosearch-pglite-<uid>` in the OS
   * temporary folder. `false` loads PostGIS's full bundle (slower starts).
   */
  readonly bundleCacheDir?: string | false;
}

/**
 * PostGIS as published, with its bundle replaced by the trimmed copy when
 * that can be made (else unchanged): same settings, fewer files to unpack
 * and one WebAssembly library to compile instead of three.
 */
function trimmedPostgis(cacheDir: string | undefined): Extension {
  return {
    name: postgis.name,
    setup: async (pg, emscriptenOpts) => {
      const result = await postgis.setup(pg, emscriptenOpts);
      const trimmed = result.bundlePath && trimmedPostgisBundle(result.bundlePath, cacheDir);
      return trimmed ? { ...result, bundlePath: pathToFileURL(trimmed) } : result;
    },
  };
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
    extensions: {
      postgis: options.bundleCacheDir === false ? postgis : trimmedPostgis(options.bundleCacheDir),
      pg_trgm,
    },
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
