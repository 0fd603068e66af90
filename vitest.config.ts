import { defineConfig } from 'vitest/config';

const unitTests = ['packages/*/src/**/*.test.ts', 'functions/*/src/**/*.test.ts'];

export default defineConfig({
  test: {
    setupFiles: ['./test/setup.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    projects: [
      {
        // Module state is per worker, not per file: the packages are evaluated once per worker
        // instead of once per test file (about half of the run otherwise). Tests must leave no
        // global behind: a client-class mock (aws-sdk-client-mock) is restored in afterAll.
        extends: true,
        test: { name: 'unit', include: unitTests, isolate: false },
      },
      {
        // aws-cdk-lib is large: CDK assertion tests share it within a worker too.
        extends: true,
        test: {
          name: 'cdk',
          include: ['test/lib/**/*.test.ts', 'test/architecture/**/*.test.ts'],
          isolate: false,
        },
      },
      {
        // Against the emulators, Redis and pnpm dev (servers on free ports): one fresh module graph per file.
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'] },
      },
    ],
  },
});
