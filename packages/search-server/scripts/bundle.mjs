// Bundles the server into one CommonJS file with esbuild. Used twice:
//
//   node scripts/bundle.mjs   (part of `pnpm build`) writes dist/bundle/search-server.cjs, the
//                             file bin/search-server.js runs: one file to load instead of several
//                             hundred modules (kysely, zod, grpc-js, ...), which is most of a cold
//                             start (measured: `search-server --help` 0.66 s unbundled, 0.40 s bundled);
//   scripts/build-sea.mjs     bundles the single-file executable's entry the same way.
//
// Embedded PGlite stays outside the bundle: its WebAssembly and data files are found next to
// its modules, so `@geosearch/search-core/pglite` is loaded from node_modules when it is used.
// The bin's bundle also leaves out the Kafka client (see below): bundle 6.2 -> 4.5 MB, idle RSS
// (PostgreSQL backend, 1 s after start, compile cache warm) about 99 -> 93 MiB; and the sample countries'
// JSON: 4.5 -> 3.6 MB, V8's heap on 100k polygons about 0.8 MiB smaller (large objects 5.3 -> 4.5 MiB).
// zod is imported as a namespace everywhere (`import * as z from 'zod'`, not `import { z }`): esbuild then
// keeps only the exports used, and drops zod's other locales: bundle 3.6 -> 3.1 MB, idle RSS on 100k
// polygons 112.7-114.4 -> 109.0-109.3 MB and V8's heap used 14.1-14.2 -> 13.0 MiB (3 starts each).
// The bundle is minified, names kept (see `minifyWhitespace` below).
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bundles `entry` (a file under src/) into `outfile`; `external` adds modules left out. */
export async function bundleServer({ entry, outfile, external = [] }) {
  const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  // @platformatic/kafka reads a WebAssembly file next to its module through import.meta.url, which a
  // CommonJS bundle lacks: give the bundle a real import.meta.url, and take the self-contained build
  // of @platformatic/wasm-utils (the WebAssembly embedded).
  const kafkaRequire = createRequire(
    createRequire(join(pkgDir, 'package.json')).resolve('@platformatic/kafka'),
  );
  const wasmUtils = join(dirname(kafkaRequire.resolve('@platformatic/wasm-utils')), 'bundled.js');
  await build({
    entryPoints: [join(pkgDir, 'src', entry)],
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    outfile,
    conditions: ['@geosearch/source'],
    external: [
      '@electric-sql/pglite',
      '@electric-sql/pglite/*',
      '@electric-sql/pglite-postgis',
      'unix-dgram',
      ...external,
    ],
    define: { GEOSEARCH_SERVER_VERSION: JSON.stringify(version), 'import.meta.url': '__importMetaUrl' },
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    alias: { '@platformatic/wasm-utils': wasmUtils },
    logLevel: 'warning',
    legalComments: 'none',
    // Whitespace and syntax minified, names kept (stack traces still name their functions): V8 keeps the
    // script's whole source in its heap. Bundle 2.6 -> 1.7 MB, heap used on 100k polygons 12.4 -> 10.9 MiB
    // (3 starts each). Renaming identifiers as well made it 1.2 MB but took more heap (11.4 MiB).
    minifyWhitespace: true,
    minifySyntax: true,
  });
  writeFileSync(outfile, asciiOnly(readFileSync(outfile, 'utf8')));
  return outfile;
}

/**
 * `source` with every non-ASCII character written as a `\uXXXX` escape. esbuild
 * escapes them in code (its default ASCII charset) but keeps comments as they
 * are, and V8 keeps a script's whole source in memory: four characters above
 * U+00FF (dashes and arrows in dependencies' comments) made the 4.5 MB bundle
 * a two-byte string of 9 MB. In a comment the escape is plain text; in code it would
 * denote the same character.
 */
function asciiOnly(source) {
  return source.replace(/[^\0-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundleServer({
    entry: 'main.ts',
    outfile: join(pkgDir, 'dist', 'bundle', 'search-server.cjs'),
    // The Kafka client (with its schema-registry dependencies, about 2.5 MB of the bundle's 6 MB) is loaded
    // from node_modules only when kafka_brokers is set: V8 keeps a script's whole source in memory, and
    // parses it all at load. The same for the sample countries (world-atlas's 0.7 MB of JSON), read only
    // when the sample data is loaded into an empty database. The single executable bundles both (it has
    // no node_modules). The same for server reflection (nice-grpc-server-reflection with google-protobuf, about
    // 0.45 MB), loaded at its first call (src/rpc/lazy-reflection.ts).
    external: [
      '@geosearch/search-core/pglite',
      '@platformatic/kafka',
      'world-atlas',
      'nice-grpc-server-reflection',
    ],
  });
}
