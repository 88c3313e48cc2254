#!/usr/bin/env node
import { main } from '../dist/main.js';

main(process.argv.slice(2), process.env).catch((error) => {
  process.stderr.write(`search-server: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
