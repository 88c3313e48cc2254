import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { filterTar, keepPostgisEntry, trimmedPostgisBundle } from '../src/postgis-bundle.js';

/** The bundle @electric-sql/pglite-postgis ships. */
const source = join(
  dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite-postgis')),
  'postgis.tar.gz',
);

/** Cache folders made by these tests (a trimmed bundle is about 8 MB), removed at the end. */
const made: string[] = [];
const cacheFolder = () => {
  const dir = mkdtempSync(join(tmpdir(), 'geosearch-bundle-test-'));
  made.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** The names of a tar archive's entries. */
const names = (tar: Buffer) => {
  const seen: string[] = [];
  filterTar(tar, (name) => {
    seen.push(name);
    return false;
  });
  return seen;
};

/** One ustar header block for a regular file `name` of `size` bytes (type `type`). */
function header(name: string, size: number, type = '0') {
  const block = Buffer.alloc(512);
  block.write(name, 0, 'utf8');
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  block.write(type, 156, 'ascii');
  block.write('ustar\0', 257, 'ascii');
  return block;
}
const entry = (name: string, content: string, type = '0') => {
  const data = Buffer.from(content);
  return Buffer.concat([
    header(name, data.length, type),
    data,
    Buffer.alloc((512 - (data.length % 512)) % 512),
  ]);
};

describe('the trimmed PostGIS bundle', () => {
  it('keeps the postgis library, its control file and install script, and the PROJ data', () => {
    expect(keepPostgisEntry('lib/postgresql/postgis-3.so')).toBe(true);
    expect(keepPostgisEntry('share/postgresql/extension/postgis.control')).toBe(true);
    expect(keepPostgisEntry('share/postgresql/extension/postgis--3.6.2.sql')).toBe(true);
    expect(keepPostgisEntry('share/proj/proj.db')).toBe(true);
    expect(keepPostgisEntry('lib/postgresql/postgis_raster-3.so')).toBe(false);
    expect(keepPostgisEntry('lib/postgresql/postgis_topology-3.so')).toBe(false);
    expect(keepPostgisEntry('share/postgresql/extension/postgis--3.5.0--3.6.2.sql')).toBe(false);
    expect(keepPostgisEntry('share/postgresql/extension/postgis--ANY--3.6.2.sql')).toBe(false);
    expect(keepPostgisEntry('share/postgresql/extension/postgis_raster.control')).toBe(false);
    expect(keepPostgisEntry('share/postgresql/contrib/postgis-3.6/spatial_ref_sys.sql')).toBe(false);
  });

  it('copies the kept entries byte for byte and ends the archive', () => {
    const tar = Buffer.concat([
      entry('a/keep.txt', 'kept'),
      entry('a/drop.txt', 'x'.repeat(700)),
      entry('a/keep2.txt', 'also kept'),
      Buffer.alloc(1024),
    ]);
    const out = filterTar(tar, (name) => name.includes('keep'));
    expect(names(out)).toEqual(['a/keep.txt', 'a/keep2.txt']);
    expect(out.subarray(0, 1024)).toEqual(tar.subarray(0, 1024));
    expect(out.subarray(1024, 2048)).toEqual(tar.subarray(1024 + 512 + 1024, 1024 + 512 + 1024 + 1024));
    expect(out.subarray(-1024).every((b) => b === 0)).toBe(true);
  });

  it('refuses entry types it does not read (long names, pax headers) and truncated archives', () => {
    expect(() =>
      filterTar(Buffer.concat([entry('././@LongLink', 'x', 'L'), Buffer.alloc(1024)]), () => true),
    ).toThrow(/type L/);
    expect(() => filterTar(entry('a.txt', 'x'.repeat(600)).subarray(0, 1024), () => true)).toThrow(
      /truncated/,
    );
  });

  it('is made once from the real bundle, holds what PostGIS needs, and is reused', () => {
    const cache = cacheFolder();
    const path = trimmedPostgisBundle(source, cache);
    expect(path).toBeDefined();
    const kept = names(gunzipSync(readFileSync(path as string)));
    expect(kept).toContain('lib/postgresql/postgis-3.so');
    expect(kept).toContain('share/postgresql/extension/postgis.control');
    expect(kept.some((n) => /^share\/postgresql\/extension\/postgis--[\d.]+\.sql$/.test(n))).toBe(true);
    expect(kept).toContain('share/proj/proj.db');
    expect(kept.filter((n) => n.endsWith('.so'))).toEqual(['lib/postgresql/postgis-3.so']);
    expect(statSync(path as string).size).toBeLessThan(statSync(source).size);
    const written = statSync(path as string).mtimeMs;
    expect(trimmedPostgisBundle(source, cache)).toBe(path);
    expect(statSync(path as string).mtimeMs).toBe(written);
  });

  it('is not used from a cache folder others can write to, nor made from a broken source', () => {
    const shared = cacheFolder();
    chmodSync(shared, 0o777);
    expect(trimmedPostgisBundle(source, shared)).toBeUndefined();
    const cache = cacheFolder();
    const broken = join(cache, 'broken.tar.gz');
    writeFileSync(broken, gzipSync(Buffer.concat([entry('x', 'y', 'x'), Buffer.alloc(1024)])));
    expect(trimmedPostgisBundle(broken, join(cache, 'out'))).toBeUndefined();
    writeFileSync(broken, 'not gzip');
    expect(trimmedPostgisBundle(broken, join(cache, 'out'))).toBeUndefined();
  });
});
