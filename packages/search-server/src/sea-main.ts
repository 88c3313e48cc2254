import { main } from './main.js';

// Entry point of the single-file executable (see scripts/build-sea.mjs).
main(process.argv.slice(2), process.env).catch((error: unknown) => {
  process.stderr.write(`search-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
