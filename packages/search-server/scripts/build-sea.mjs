// Builds the single-file executable of search-server with Node's single
// executable applications support: esbuild bundles the server into one
// CommonJS file, Node turns it into a preparation blob, and postject injects
// the blob into a copy of the node binary. Output: dist-sea/search-server.
//
// The executable runs on real PostgreSQL (DATABASE_URL); embedded PGlite needs
// its WebAssembly files and is left out of the bundle.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleServer, pkgDir } from './bundle.mjs';

const out = join(pkgDir, 'dist-sea');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

// The executable leaves PGlite out altogether (its files could not be found next to it).
const bundle = await bundleServer({ entry: 'sea-main.ts', outfile: join(out, 'search-server.cjs') });

const seaConfig = join(out, 'sea-config.json');
const blob = join(out, 'sea-prep.blob');
// The same V8 options as bin/search-server.js's shebang (see there for why).
const execArgv = [
  '--max-semi-space-size=8',
  '--max-old-space-size=1024',
  '--no-allocation-site-pretenuring',
  '--expose-gc',
  '--heap-growing-percent=20',
];
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
