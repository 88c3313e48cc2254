import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseEnv,
  e2eBackends,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';
import { runCli } from './support/run-cli.js';

afterAll(stopAllServers);

const commands = ['search', 'nearby', 'get', 'delete', 'import', 'monitor'];

/** A FeatureCollection of `n` small squares on a grid over the South Pacific. */
function gridCollection(n: number): string {
  const features = [];
  for (let i = 0; i < n; i++) {
    const lng = -170 + (i % 100) * 0.5;
    const lat = -60 + Math.floor(i / 100) * 0.5;
    features.push({
      type: 'Feature',
      id: `grid-${i}`,
      properties: { name: `Grid square ${i}`, row: Math.floor(i / 100), column: i % 100 },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [
            [lng, lat],
            [lng + 0.4, lat],
            [lng + 0.4, lat + 0.4],
            [lng, lat + 0.4],
            [lng, lat],
          ],
        ],
      },
    });
  }
  return JSON.stringify({ type: 'FeatureCollection', features });
}

describe('geosearch CLI without a server', () => {
  it('prints help for itself and every command, with the exit codes', async () => {
    const main = await runCli(['--help']);
    expect(main.code).toBe(0);
    for (const name of commands) expect(main.stdout).toContain(`  ${name} `);
    expect(main.stdout).toMatch(/Exit codes:[\s\S]*3 {2}not found/);
    for (const name of commands) {
      const help = await runCli([name, '--help']);
      expect(help.code, name).toBe(0);
      expect(help.stdout).toContain(`Usage: geosearch ${name}`);
      expect(help.stdout).toContain('--target HOST:PORT');
      expect(help.stdout).toContain('Exit codes:');
    }
  });

  it('refuses usage errors with exit code 2, naming the field', async () => {
    const cases: [string[], RegExp][] = [
      [[], /Usage: geosearch <command>/],
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['search', '--lng', '13'], /--lat: is required/],
      [['search'], /--lat and --lng, or --query, are required/],
      [['search', '--lat', 'abc', '--lng', '1'], /--lat: must be a number, got 'abc'/],
      [['search', '--lat', '1', '--lng', '1', '--page-size', '2.5'], /--page-size: must be a whole number/],
      [['nearby', '--lng', '1'], /--lat: is required/],
      [['nearby', '--lat', '1', '--lng', '1', '--limit', 'x'], /--limit: must be a number/],
      [['get'], /--id: either --id or --external-id is required/],
      [['get', '--id', '0'], /--id: must be at least 1/],
      [['get', '--id', '1', '--external-id', 'x'], /--id: give either --id or --external-id, not both/],
      [['delete'], /--id: either --id or --external-id is required/],
      [['import'], /FILE: is required/],
      [['import', '/nonexistent/file.geojson'], /FILE: cannot read '\/nonexistent\/file.geojson' \(ENOENT\)/],
      [['monitor', 'extra'], /unexpected argument 'extra'/],
      [['monitor', '--bogus'], /--bogus/],
      [['monitor', '--target', 'nohost'], /--target: 'nohost' is not host:port/],
      [['monitor', '--deadline-ms', '-5'], /--deadline-ms: must be at least 1/],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr, args.join(' ')).toMatch(message);
    }
    const env = await runCli(['monitor'], { GEOSEARCH_TARGET: 'bad target' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/GEOSEARCH_TARGET: 'bad target' is not host:port/);
  });
});

describe.each(e2eBackends)('geosearch CLI against the server binary on %s', (backend) => {
  let server: ServerProcess;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startServerProcess({ env: await databaseEnv(backend) });
    env = { GEOSEARCH_TARGET: server.address };
    dir = mkdtempSync(join(tmpdir(), 'geosearch-cli-'));
  });
  afterAll(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('searches by point: a table by default, JSON with --json', async () => {
    const table = await runCli(['search', '--lat', '52.52', '--lng', '13.405'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^\s*ID\s+EXTERNAL ID\s+NAME\s+SCORE\n\s*\d+\s+\S+\s+Germany\s+1\.000\n$/);
    const json = await runCli(['search', '--lat', '52.52', '--lng', '13.405', '--json'], env);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.results.map((r: { thing: { name: string } }) => r.thing.name)).toEqual(['Germany']);
    expect(parsed.nextPageToken).toBeNull();
    const swapped = JSON.parse(
      (await runCli(['search', '--lat', '13.405', '--lng', '52.52', '--json'], env)).stdout,
    );
    expect(swapped.results.map((r: { thing: { name: string } }) => r.thing.name)).not.toContain('Germany');
  });

  it('searches by name page by page, with geometries in --full', async () => {
    const first = JSON.parse(
      (await runCli(['search', '--query', 'united', '--page-size', '2', '--full', '--json'], env)).stdout,
    );
    expect(first.results).toHaveLength(2);
    expect(first.results[0].thing.geometry.type).toBe('MultiPolygon');
    const table = await runCli(['search', '--query', 'united', '--page-size', '2'], env);
    expect(table.stdout).toContain(`next page: --page-token ${first.nextPageToken}`);
    const second = await runCli(
      ['search', '--query', 'united', '--page-size', '2', '--page-token', first.nextPageToken, '--json'],
      env,
    );
    expect(second.code).toBe(0);
    const ids = [...first.results, ...JSON.parse(second.stdout).results].map(
      (r: { thing: { id: number } }) => r.thing.id,
    );
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('finds nearby things, negative coordinates included', async () => {
    const run = await runCli(['nearby', '--lat', '-33.92', '--lng', '18.42', '--limit', '2', '--json'], env);
    expect(run.code).toBe(0);
    const parsed = JSON.parse(run.stdout);
    expect(parsed.results).toHaveLength(2);
    expect(parsed.results[0].thing.name).toBe('South Africa');
    const table = await runCli(['nearby', '--lat', '52.52', '--lng', '13.405', '--max-distance', '1'], env);
    expect(table.stdout).toMatch(/DISTANCE \(m\)\n.*Germany\s+0\.0\n$/);
  });

  it('gets a thing by id and by external id', async () => {
    const hit = JSON.parse(
      (await runCli(['search', '--lat', '52.52', '--lng', '13.405', '--json'], env)).stdout,
    ).results[0].thing;
    const byId = await runCli(['get', '--id', String(hit.id)], env);
    expect(byId.code).toBe(0);
    expect(byId.stdout).toMatch(/^name\s+Germany$/m);
    const byExternal = JSON.parse(
      (await runCli(['get', '--external-id', hit.externalId, '--full', '--json'], env)).stdout,
    );
    expect(byExternal.thing).toMatchObject({
      id: hit.id,
      name: 'Germany',
      geometry: { type: 'MultiPolygon' },
    });
  });

  it('reports the server in monitor', async () => {
    const parsed = JSON.parse((await runCli(['monitor', '--json'], env)).stdout);
    expect(parsed).toMatchObject({ databaseBackend: backend, schemaVersion: '0005_name_lower_gin' });
    const table = await runCli(['monitor', '--target', server.address], {});
    expect(table.stdout).toMatch(/^database\s+/m);
  });

  it('imports a small file, lists the rejections, and deletes', async () => {
    const file = join(dir, 'small.geojson');
    const good = JSON.parse(gridCollection(2)).features;
    writeFileSync(
      file,
      JSON.stringify({
        type: 'FeatureCollection',
        features: [
          { ...good[0], id: 'cli-small-0' },
          {
            type: 'Feature',
            id: 'cli-broken',
            properties: { name: 'Broken' },
            geometry: { type: 'Point', coordinates: [0, 0] },
          },
          { ...good[1], id: 'cli-small-1' },
        ],
      }),
    );
    const run = await runCli(['import', file], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/created=2 updated=0 rejected=1/);
    expect(run.stdout).toMatch(/rejected #1 \(cli-broken\): .+/);
    const deleted = JSON.parse(
      (await runCli(['delete', '--external-id', 'cli-small-0', '--json'], env)).stdout,
    );
    expect(deleted.deleted.externalId).toBe('cli-small-0');
    const table = await runCli(['delete', '--id', '999999999'], env);
    expect(table.code).toBe(3);
    const gone = await runCli(['get', '--external-id', 'cli-small-0'], env);
    expect(gone.code).toBe(3);
    expect(gone.stderr).toMatch(/geosearch get: .*cli-small-0/);
  });

  it('maps every failure to its exit code with a message naming the field', async () => {
    const refused = await runCli(['search', '--lat', '95', '--lng', '0', '--json'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/point\.lat/);
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: 'invalid_argument',
      grpcCode: 3,
      violations: [{ field: 'point.lat', reason: expect.any(String) }],
    });
    const distance = await runCli(['nearby', '--lat', '0', '--lng', '0', '--max-distance', '-1'], env);
    expect(distance.code).toBe(2);
    expect(distance.stderr).toMatch(/maxDistanceMeters/);
    const forged = await runCli(['search', '--query', 'x', '--page-token', 'forged.token'], env);
    expect(forged.code).toBe(2);
    expect(forged.stderr).toMatch(/page_token/);
    const missing = await runCli(['get', '--id', '999999999', '--json'], env);
    expect(missing.code).toBe(3);
    expect(JSON.parse(missing.stdout).error.code).toBe('not_found');
    const late = await runCli(['search', '--query', 'germany', '--deadline-ms', '1'], env);
    expect(late.code).toBe(5);
    expect(late.stderr).toMatch(/deadline of 1 ms exceeded/);
    const broken = join(dir, 'broken.geojson');
    writeFileSync(broken, '{"type":"FeatureCollection","features":[{"type":"Feature"');
    const cut = await runCli(['import', broken], env);
    expect(cut.code).toBe(2);
    expect(cut.stderr).toMatch(/broken\.geojson: not GeoJSON: ends inside a JSON value/);
  });

  it('exits 4 when no server answers', async () => {
    const run = await runCli(['monitor', '--target', '127.0.0.1:1']);
    expect(run.code).toBe(4);
    expect(run.stderr).toMatch(/127\.0\.0\.1:1 is unavailable/);
  });

  it('imports 10,000 features with progress, then again as updates', async () => {
    const file = join(dir, 'grid-10k.geojson');
    writeFileSync(file, gridCollection(10_000));
    const first = await runCli(['import', file], env);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/^import: \d[\d,]* features sent, .* read \(\d+%\)/m);
    expect(first.stderr).toMatch(/10,000 features sent, .*\(100%\)/);
    expect(first.stdout).toMatch(/created=10000 updated=0 rejected=0 \(10000 features in /);
    const second = await runCli(['import', file, '--json'], env);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({
      features: 10_000,
      created: 0,
      updated: 10_000,
      rejected: 0,
    });
    console.info(
      `[${backend}] geosearch import of 10,000 features: first ${(first.ms / 1000).toFixed(1)} s (created), ` +
        `again ${(second.ms / 1000).toFixed(1)} s (updated), whole CLI process each`,
    );
    const inside = JSON.parse(
      (await runCli(['search', '--lat', '-59.8', '--lng', '-169.8', '--json'], env)).stdout,
    );
    expect(inside.results.map((r: { thing: { externalId: string } }) => r.thing.externalId)).toEqual([
      'grid-0',
    ]);
  });
});
