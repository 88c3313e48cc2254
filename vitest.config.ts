import { configDefaults, defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources through the
// `@geosearch/source` export condition, so tests need no build step.
const conditions = ['@geosearch/source'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    projects: [
      {
        extends: true,
        test: { name: 'workspace', include: ['test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'core',
          include: ['packages/search-core/test/**/*.test.ts'],
          // Builds migrated PGlite templates once per run; each test copies one.
          globalSetup: ['packages/search-core/test/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'server',
          include: ['packages/search-server/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'packages/search-server/test/faults/**'],
          globalSetup: ['test/support/e2e-global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          // Fault injection (issue 9): the real server on a private PostgreSQL behind toxiproxy.
          // One file at a time, after the other projects: the tests measure recovery times.
          name: 'faults',
          include: ['packages/search-server/test/faults/**/*.test.ts'],
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 90_000,
          hookTimeout: 180_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'client',
          include: ['packages/search-client/test/**/*.test.ts'],
          globalSetup: ['test/support/e2e-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
