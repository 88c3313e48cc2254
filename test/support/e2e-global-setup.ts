import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makePgliteTemplate } from './server-process.js';

/**
 * Once per run: a scratch folder for everything the end-to-end tests write
 * (PGlite data folders, executables), removed when the run ends, and in it a
 * migrated PGlite folder with sample data for the tests to copy. Without it
 * every run left its copies behind (about 67 MB each: 49 GB after a day of
 * runs filled this machine's disk).
 */
export default async function setup(): Promise<() => void> {
  const scratch = mkdtempSync(join(tmpdir(), 'geosearch-e2e-'));
  process.env.GEOSEARCH_TEST_SCRATCH = scratch;
  process.env.GEOSEARCH_PGLITE_TEMPLATE = await makePgliteTemplate();
  return () => rmSync(scratch, { recursive: true, force: true });
}
