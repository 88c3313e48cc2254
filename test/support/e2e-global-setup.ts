import { rmSync } from 'node:fs';
import { makePgliteTemplate } from './server-process.js';

/** Once per run: a migrated PGlite folder with sample data for end-to-end tests to copy. */
export default async function setup(): Promise<() => void> {
  const template = await makePgliteTemplate();
  process.env.GEOSEARCH_PGLITE_TEMPLATE = template;
  return () => rmSync(template, { recursive: true, force: true });
}
