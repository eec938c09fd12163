import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['__tests__/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    tags: [
      {
        name: 'integration',
        description:
          'starts real programs: a registry, npm, git, the bundled command line (`--tags-filter=integration`)',
      },
    ],
  },
});
