// Builds the single-file executable of search-server with Node's single
// executable applications support: esbuild bundles the server into one
// CommonJS file, Node turns it into a preparation blob, and postject injects
// the blob into a copy of the node binary. Output: dist-sea/search-server.
//
// The executable runs on real PostgreSQL (DATABASE_URL); embedded PGlite needs
// its WebAssembly files and is left out of the bundle.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(pkgDir, 'dist-sea');
const { version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// @platformatic/kafka reads a WebAssembly file next to its module through import.meta.url, which a
// CommonJS bundle lacks: give the bundle a real import.meta.url, and take the self-contained build
// of @platformatic/wasm-utils (the WebAssembly embedded).
const kafkaRequire = createRequire(
  createRequire(join(pkgDir, 'package.json')).resolve('@platformatic/kafka'),
);
const wasmUtils = join(dirname(kafkaRequire.resolve('@platformatic/wasm-utils')), 'bundled.js');

const bundle = join(out, 'search-server.cjs');
await build({
  entryPoints: [join(pkgDir, 'src', 'sea-main.ts')],
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  outfile: bundle,
  conditions: ['@geosearch/source'],
  external: ['@electric-sql/pglite', '@electric-sql/pglite/*', '@electric-sql/pglite-postgis', 'unix-dgram'],
  define: { GEOSEARCH_SERVER_VERSION: JSON.stringify(version), 'import.meta.url': '__importMetaUrl' },
  banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  alias: { '@platformatic/wasm-utils': wasmUtils },
  logLevel: 'warning',
  legalComments: 'none',
});

const seaConfig = join(out, 'sea-config.json');
const blob = join(out, 'sea-prep.blob');
// The same V8 setting as bin/search-server.js's shebang (see there).
const execArgv = ['--max-semi-space-size=8'];
writeFileSync(
  seaConfig,
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, execArgv }),
);
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });

const exe = join(out, 'search-server');
copyFileSync(process.execPath, exe);
execFileSync(
  process.execPath,
  [
    join(pkgDir, 'node_modules', 'postject', 'dist', 'cli.js'),
    exe,
    'NODE_SEA_BLOB',
    blob,
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: 'inherit' },
);
rmSync(blob);
console.log(`built ${exe}`);
