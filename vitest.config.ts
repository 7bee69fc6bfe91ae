import { defineConfig } from 'vitest/config';

export default defineConfig({
  // graphql 16 ships ESM and CommonJS builds; under vitest both would load and the
  // schema would fail with "from another module or realm". One entry point fixes it.
  resolve: { alias: { graphql: 'graphql/index.js' } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
