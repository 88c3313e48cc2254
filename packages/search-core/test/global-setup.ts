import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrateToLatest } from '../src/migrate.js';
import { openPglite } from '../src/pglite.js';

/** Where the global setup left the PGlite templates (tarballs from `dumpDataDir()`). */
export interface PgliteTemplates {
  /** PostGIS and pg_trgm created, no geosearch tables: for migration tests. */
  readonly bare: string;
  /** Migrated to the latest schema version, no things. */
  readonly migrated: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplates: PgliteTemplates;
  }
}

/**
 * Builds the PGlite templates once per run: initdb and CREATE EXTENSION
 * postgis take ~30 s in WASM, loading a tarball a few seconds. On PostgreSQL
 * (DATABASE_URL) it creates the shared extensions once, so test files
 * opening schemas at the same time never race on CREATE EXTENSION.
 */
export default async function setup(project: TestProject): Promise<() => void> {
  const url = process.env.DATABASE_URL;
  if (url) await createSharedExtensions(url);
  const folder = mkdtempSync(join(tmpdir(), 'geosearch-core-templates-'));
  const removeFolder = () => rmSync(folder, { recursive: true, force: true });
  try {
    project.provide('pgliteTemplates', await makeTemplates(folder));
  } catch (error) {
    removeFolder();
    throw error;
  }
  return removeFolder;
}

async function makeTemplates(folder: string): Promise<PgliteTemplates> {
  const templates: PgliteTemplates = {
    bare: join(folder, 'bare.tar'),
    migrated: join(folder, 'migrated.tar'),
  };
  const embedded = await openPglite();
  try {
    await sql`CREATE EXTENSION IF NOT EXISTS postgis`.execute(embedded.db);
    await sql`CREATE EXTENSION IF NOT EXISTS pg_trgm`.execute(embedded.db);
    await save(embedded.pglite, templates.bare);
    await migrateToLatest(embedded.db);
    await save(embedded.pglite, templates.migrated);
  } finally {
    await embedded.close();
  }
  return templates;
}

async function createSharedExtensions(url: string): Promise<void> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query('CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS pg_trgm');
  } finally {
    await admin.end();
  }
}

async function save(pglite: { dumpDataDir(c: 'none'): Promise<Blob> }, path: string): Promise<void> {
  const tarball = await pglite.dumpDataDir('none');
  writeFileSync(path, new Uint8Array(await tarball.arrayBuffer()));
}
