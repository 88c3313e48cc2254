import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SearchServiceDefinition } from '@geosearch/generated';
import { createChannel, createClient } from 'nice-grpc';
import { ServerReflectionService } from 'nice-grpc-server-reflection';
import { ServerReflectionRequest } from 'nice-grpc-server-reflection/lib/proto/grpc/reflection/v1/reflection_pb.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  postgresDatabase,
  repoRoot,
  scratchDir,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';

afterAll(stopAllServers);

/** `pnpm pack`s a workspace package into `into`; returns the tarball path. */
function pack(dir: string, into: string): string {
  const before = new Set(readdirSync(into));
  execFileSync('pnpm', ['pack', '--pack-destination', into], { cwd: join(repoRoot, dir), stdio: 'ignore' });
  const tarball = readdirSync(into).find((f) => f.endsWith('.tgz') && !before.has(f));
  if (!tarball) throw new Error(`pnpm pack made no tarball for ${dir}`);
  return join(into, tarball);
}

/**
 * Checks the V8 settings the server logged when it started serving: the bin's
 * shebang and the executable's execArgv both set
 * `--max-semi-space-size=8 --max-old-space-size=1024 --no-allocation-site-pretenuring --expose-gc --heap-growing-percent=20`
 * (a heap limit of 1,048 MiB with the young generation; V8's default here is several GiB), and that the
 * full collection after the point index's load ran (it needs `gc()` exposed).
 */
async function expectServerV8Settings(logs: readonly Record<string, unknown>[]): Promise<void> {
  const serving = logs.find((record) => record.msg === 'serving');
  expect(serving?.heapLimitMiB).toBe(1048);
  expect(serving?.nodeOptions).toEqual(
    expect.arrayContaining([
      '--max-semi-space-size=8',
      '--max-old-space-size=1024',
      '--no-allocation-site-pretenuring',
      '--expose-gc',
      '--heap-growing-percent=20',
    ]),
  );
  const ready = await vi.waitFor(
    () => {
      const line = logs.find((record) => String(record.msg).startsWith('point index ready'));
      if (!line) throw new Error('no "point index ready" line yet');
      return line;
    },
    { timeout: 60_000, interval: 100 },
  );
  expect(ready).toMatchObject({ gcMs: expect.any(Number), rssAfterMiB: expect.any(Number) });
}

async function searchBerlin(address: string): Promise<string[]> {
  const channel = createChannel(address);
  try {
    const client = createClient(SearchServiceDefinition, channel);
    const page = await client.search({ point: { lat: 52.52, lng: 13.405 } });
    return page.results.map((r) => r.thing?.name ?? '');
  } finally {
    channel.close();
  }
}

/** The services server reflection lists (the bin's bundle loads reflection from node_modules at this first call). */
async function listServices(address: string): Promise<string[]> {
  const channel = createChannel(address);
  try {
    const reflection = createClient(ServerReflectionService, channel);
    async function* ask() {
      yield new ServerReflectionRequest().setListServices('');
    }
    for await (const response of reflection.serverReflectionInfo(ask())) {
      return (response.getListServicesResponse()?.getServiceList() ?? []).map((s) => s.getName()).sort();
    }
    return [];
  } finally {
    channel.close();
  }
}

describe('packaging', () => {
  it("keeps the bin's bundle ASCII-only, so that V8 holds its source in one byte a character", () => {
    const bundle = readFileSync(
      join(repoRoot, 'packages/search-server/dist/bundle/search-server.cjs'),
      'utf8',
    );
    expect(bundle.length).toBeGreaterThan(1_000_000);
    expect(bundle.match(/[^\0-\x7f]/)?.[0]).toBeUndefined();
  });

  it('installs from npm tarballs into an empty folder and serves without the monorepo', async () => {
    const tarballs = scratchDir('geosearch-tarballs-');
    const packed = [
      'generated',
      'packages/search-core',
      'packages/search-client',
      'packages/search-server',
    ].map((dir) => pack(dir, tarballs));
    const app = scratchDir('geosearch-install-');
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...packed], {
      cwd: app,
      stdio: 'pipe',
    });
    const bin = join(app, 'node_modules', '.bin', 'search-server');
    expect(execFileSync(bin, ['--help'], { encoding: 'utf8' })).toContain('--database-url');

    const server = await startServerProcess({
      bin,
      env: { GEOSEARCH_DATA_DIR: join(app, 'data') },
      timeoutMs: 180_000,
    });
    expect(await searchBerlin(server.address)).toEqual(['Germany']);
    expect(await listServices(server.address)).toEqual([
      'geosearch.v1.SearchService',
      'grpc.health.v1.Health',
    ]);
    await expectServerV8Settings(server.logs);
    // The bin's shebang also keeps glibc's malloc to one arena; with PostgreSQL the bin starts itself again with
    // malloc's own mappings from 8 KiB, not with PGlite (see bin/search-server.js).
    const serving = server.logs.find((record) => record.msg === 'serving');
    expect([serving?.mallocArenaMax, serving?.mallocMmapThreshold]).toEqual(['1', undefined]);
    expect(await server.stop()).toBe(0);
    if (process.env.DATABASE_URL) {
      const withPostgres = await startServerProcess({ bin, env: { DATABASE_URL: postgresDatabase() } });
      expect(await searchBerlin(withPostgres.address)).toEqual(['Germany']);
      const line = withPostgres.logs.find((record) => record.msg === 'serving');
      expect([line?.mallocArenaMax, line?.mallocMmapThreshold]).toEqual(['1', '8192']);
      await expectServerV8Settings(withPostgres.logs);
      expect(await withPostgres.stop()).toBe(0);
    }
  }, 300_000);

  it.runIf(process.env.DATABASE_URL)(
    'builds a single executable that starts in an empty folder and serves with PostgreSQL',
    async () => {
      execFileSync('node', ['scripts/build-sea.mjs'], {
        cwd: join(repoRoot, 'packages', 'search-server'),
        stdio: 'ignore',
      });
      const folder = scratchDir('geosearch-sea-');
      const exe = join(folder, 'search-server');
      copyFileSync(join(repoRoot, 'packages', 'search-server', 'dist-sea', 'search-server'), exe);
      execFileSync('chmod', ['+x', exe]);
      const server = await startServerProcess({
        bin: exe,
        env: { DATABASE_URL: postgresDatabase() },
        cwd: folder,
      });
      expect(await searchBerlin(server.address)).toEqual(['Germany']);
      expect(await listServices(server.address)).toEqual([
        'geosearch.v1.SearchService',
        'grpc.health.v1.Health',
      ]);
      await expectServerV8Settings(server.logs);
      expect(await server.stop()).toBe(0);
    },
    300_000,
  );
});
