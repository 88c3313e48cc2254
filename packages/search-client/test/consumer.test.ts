import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  databaseEnv,
  e2eBackends,
  repoRoot,
  type ServerProcess,
  startServerProcess,
  stopAllServers,
} from '../../../test/support/server-process.js';

const run = promisify(execFile);
const clientDir = join(repoRoot, 'packages', 'search-client');
const generatedDir = join(repoRoot, 'generated');

afterAll(stopAllServers);

/** A strict consumer of the published SDK; the @ts-expect-error lines fail the build if the types were loose. */
const consumerSource = `import { createSearchClient, type SearchPage, SearchClientError } from '@geosearch/search-client';

const target = process.argv[2];
if (target === undefined) throw new Error('usage: node dist/main.js HOST:PORT');
const client = createSearchClient({ targets: [target], deadlineMs: 10_000 });
try {
  const page: SearchPage = await client.search({ point: { lat: 52.52, lng: 13.405 } });
  const name: string | undefined = page.results[0]?.thing.name;
  console.log(name ?? 'nothing');
  // @ts-expect-error a thing is looked up by id or by external id, not both
  await client.getThing({ id: 1, externalId: 'x' }).catch(() => undefined);
  // @ts-expect-error points have named lat and lng
  await client.nearby({ point: [13.405, 52.52] }).catch(() => undefined);
  try {
    await client.getThing({ externalId: 'no-such-thing' });
  } catch (error) {
    if (!(error instanceof SearchClientError) || error.code !== 'not_found') throw error;
  }
} finally {
  await client.close();
}
`;

const consumerTsconfig = {
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    skipLibCheck: false,
    types: ['node'],
    outDir: 'dist',
    noEmit: false,
  },
  files: ['main.ts'],
};

describe('the packed SDK in a fresh npm project', () => {
  let dir: string;
  let project: string;
  let clientTarball: string;

  beforeAll(async () => {
    for (const built of [join(generatedDir, 'dist', 'index.js'), join(clientDir, 'dist', 'index.js')]) {
      if (!existsSync(built)) throw new Error(`${built} is missing: run \`pnpm build\` first`);
    }
    dir = mkdtempSync(join(tmpdir(), 'geosearch-consumer-'));
    const packs = join(dir, 'packs');
    for (const cwd of [generatedDir, clientDir]) {
      await run('pnpm', ['pack', '--pack-destination', packs], { cwd });
    }
    const tarballs = readdirSync(packs).map((name) => join(packs, name));
    clientTarball = tarballs.find((t) => t.includes('search-client')) ?? '';
    project = join(dir, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
    );
    const rootPackage = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
    // The published dependencies (nice-grpc, grpc-js, protobuf runtime) come from the registry.
    await run(
      'npm',
      [
        'install',
        '--no-audit',
        '--no-fund',
        ...tarballs,
        `@types/node@${rootPackage.devDependencies['@types/node']}`,
      ],
      { cwd: project, maxBuffer: 16 * 1024 * 1024 },
    );
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(consumerTsconfig, null, 2));
    writeFileSync(join(project, 'main.ts'), consumerSource);
  }, 300_000);
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('packs only what consumers need', async () => {
    const { stdout } = await run('tar', ['-tzf', clientTarball]);
    const files = stdout.split('\n');
    expect(files).toContain('package/bin/geosearch.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files).toContain('package/README.md');
    expect(files.some((f) => f.startsWith('package/test/'))).toBe(false);
    const manifest = JSON.parse(
      readFileSync(join(project, 'node_modules/@geosearch/search-client/package.json'), 'utf8'),
    );
    expect(manifest.dependencies['@geosearch/generated']).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('compiles a strict TypeScript consumer with the repository compiler', async () => {
    await run(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', project]);
    expect(existsSync(join(project, 'dist', 'main.js'))).toBe(true);
  }, 120_000);

  it('passes arethetypeswrong as an ESM-only package', async () => {
    const attw = join(clientDir, 'node_modules', '.bin', 'attw');
    // Exits non-zero on any problem the profile does not ignore.
    const { stdout } = await run(attw, [clientTarball, '--profile', 'esm-only', '--format', 'json']);
    const report = JSON.parse(stdout) as {
      analysis: { entrypoints: Record<string, unknown> };
      problems: Record<string, { resolutionKind?: string }[]>;
    };
    expect(Object.keys(report.analysis.entrypoints)).toContain('.');
    // What is left is only what an ESM-only package cannot avoid: no CommonJS or node10 resolution.
    const kinds = Object.values(report.problems).flatMap((list) => list.map((p) => p.resolutionKind));
    expect(kinds.every((kind) => kind === 'node10' || kind === 'node16-cjs')).toBe(true);
  }, 120_000);

  describe.each(e2eBackends)('against the server binary on %s', (backend) => {
    let server: ServerProcess;
    beforeAll(async () => {
      server = await startServerProcess({ env: await databaseEnv(backend) });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('runs: the compiled consumer prints Germany, and so does the installed geosearch bin', async () => {
      if (!existsSync(join(project, 'dist', 'main.js'))) {
        await run(join(repoRoot, 'node_modules', '.bin', 'tsc'), ['-p', project]);
      }
      const consumer = await run(process.execPath, [join(project, 'dist', 'main.js'), server.address]);
      expect(consumer.stdout).toBe('Germany\n');
      const cli = await run(
        process.execPath,
        [
          join(project, 'node_modules', '.bin', 'geosearch'),
          'search',
          '--lat',
          '52.52',
          '--lng',
          '13.405',
          '--target',
          server.address,
          '--json',
        ],
        { cwd: project },
      );
      expect(JSON.parse(cli.stdout).results[0].thing.name).toBe('Germany');
    }, 120_000);
  });
});
