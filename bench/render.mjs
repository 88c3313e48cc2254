// Renders a report again from its JSON, with the current report code: node bench/render.mjs bench/results/<base>.json
// (writes <base>.md and the charts next to it; the JSON is rewritten unchanged apart from chart names).
import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { writeResults } from './lib/write-results.mjs';

const file = process.argv[2];
if (!file?.endsWith('.json')) {
  process.stderr.write('usage: node bench/render.mjs bench/results/<base>.json\n');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8'));
writeResults({ dir: dirname(file), base: basename(file, '.json'), results });
process.stderr.write(`rendered ${file.replace(/\.json$/, '.md')}\n`);
