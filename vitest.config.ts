import { defineConfig } from 'vitest/config';

// One suite, run once per dialect (as Kysely runs its tests against every dialect):
// SQLite always; PostgreSQL when TEST_POSTGRES_URL names a database to create
// schemas in. Each test makes and drops its own database or schema.
const postgres = process.env.TEST_POSTGRES_URL;

export default defineConfig({
  // graphql 16 ships ESM and CommonJS builds; under vitest both would load and the
  // schema would fail with "from another module or realm". One entry point fixes it.
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/support/report-dialects.ts'],
    projects: [
      {
        extends: true,
        test: { name: 'sqlite', env: { TEST_DIALECT: 'sqlite' }, include: ['test/**/*.test.ts'], exclude: ['test/postgres/**'] },
      },
      ...(postgres
        ? [
            {
              extends: true as const,
              test: {
                name: 'postgres',
                env: { TEST_DIALECT: 'postgres' },
                include: [
                  'test/store/**/*.test.ts',
                  'test/usage/**/*.test.ts',
                  'test/feed/**/*.test.ts',
                  'test/projections/**/*.test.ts',
                  'test/api/**/*.test.ts',
                  'test/postgres/**/*.test.ts',
                ],
                // These start the server as `npm start` does, on its embedded default.
                exclude: ['test/api/server-process.test.ts', 'test/api/production-mode.test.ts'],
              },
            },
          ]
        : []),
    ],
  },
});
