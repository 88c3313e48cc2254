import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';

/**
 * A trimmed copy of PGlite's PostGIS bundle. The bundle that
 * `@electric-sql/pglite-postgis` ships (a 20 MB tar.gz, 91 MB unpacked) holds
 * three WebAssembly libraries (postgis, postgis_raster, postgis_topology) and
 * the SQL of every upgrade path since PostGIS 2.0; PGlite unpacks all of it
 * and compiles every library on each start, though geosearch loads only
 * `postgis-3.so`. Measured on a two-CPU machine, with an existing data
 * folder: PGlite.create took 3.8 s with the full bundle, 1.0 s with no
 * extension. The trimmed copy keeps the postgis library, its control file
 * and install script (for `CREATE EXTENSION` on a new folder) and the PROJ
 * data (spheroids of geography). It is made once per source bundle and
 * kept in a cache folder.
 */

/** Whether the bundle entry `name` is kept; bump {@link RULES} when this changes. */
export function keepPostgisEntry(name: string): boolean {
  if (name.endsWith('/')) return true; // folders cost nothing
  if (name.startsWith('share/proj/')) return true;
  if (name.startsWith('lib/')) return name === 'lib/postgresql/postgis-3.so';
  const extension = 'share/postgresql/extension/';
  if (name.startsWith(extension)) {
    const file = name.slice(extension.length);
    // The control file and the install script of the default version (not upgrade scripts `--a--b`).
    return file === 'postgis.control' || /^postgis--\d+(\.\d+)*\.sql$/.test(file);
  }
  return false;
}
const RULES = 1;

const BLOCK = 512;
const text = (header: Buffer, start: number, length: number) => {
  const field = header.subarray(start, start + length);
  const end = field.indexOf(0);
  return field.subarray(0, end === -1 ? length : end).toString('utf8');
};

/**
 * The entries of the (uncompressed) tar archive `tar` that `keep` accepts,
 * as a tar archive; entries are copied byte for byte. Only plain ustar is
 * read (files, folders, links); anything else (long-name or pax headers)
 * throws, and the caller uses the full bundle instead.
 */
export function filterTar(tar: Buffer, keep: (name: string) => boolean): Buffer {
  const kept: Buffer[] = [];
  let offset = 0;
  while (offset + BLOCK <= tar.length) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break; // end of archive
    const type = String.fromCharCode(header[156] ?? 0);
    if (!['0', '\0', '1', '2', '5'].includes(type)) throw new Error(`tar entry type ${type} is not handled`);
    const prefix = text(header, 345, 155);
    const base = text(header, 0, 100);
    const name = prefix ? `${prefix}/${base}` : base;
    const size = Number.parseInt(text(header, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error(`tar entry ${name}: bad size`);
    const length = BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    if (offset + length > tar.length) throw new Error(`tar entry ${name}: truncated`);
    if (keep(name)) kept.push(tar.subarray(offset, offset + length));
    offset += length;
  }
  return Buffer.concat([...kept, Buffer.alloc(2 * BLOCK)]);
}

/** A cache folder of this user's only: made with mode 700, refused if someone else owns it or can write to it. */
function privateFolder(dir: string): boolean {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const uid = process.getuid?.();
  return stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0;
}

/**
 * The path of the trimmed copy of the PostGIS bundle at `source` (a
 * `file:` URL or path), made in `cacheDir` if missing (written to a
 * temporary name, then renamed, so a half-written copy is never used).
 * Undefined when it cannot be made or the cache folder is not private:
 * the caller then uses the full bundle.
 */
export function trimmedPostgisBundle(source: URL | string, cacheDir?: string): string | undefined {
  try {
    const sourcePath = source instanceof URL ? fileURLToPath(source) : source;
    const { size, mtimeMs } = statSync(sourcePath);
    const dir = cacheDir ?? join(tmpdir(), `geosearch-pglite-${process.getuid?.() ?? 'user'}`);
    if (!privateFolder(dir)) return undefined;
    const key = createHash('sha256')
      .update(JSON.stringify([sourcePath, size, mtimeMs, RULES]))
      .digest('hex')
      .slice(0, 16);
    const target = join(dir, `postgis-${key}.tar.gz`);
    try {
      if (statSync(target).size > 0) return target;
    } catch {
      // not made yet
    }
    const trimmed = filterTar(gunzipSync(readFileSync(sourcePath)), keepPostgisEntry);
    const partial = `${target}.${process.pid}.tmp`;
    writeFileSync(partial, gzipSync(trimmed, { level: 1 }), { mode: 0o600 });
    renameSync(partial, target);
    return target;
  } catch {
    return undefined;
  }
}
