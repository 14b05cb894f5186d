/** jest for the stacks (cdktf Testing helpers), the handlers, the local stand-ins and the CLI. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  // esbuild transpiles file by file (scripts/jest-esbuild-transform.js); `npm run typecheck` does the type checking.
  transform: { '^.+\\.ts$': '<rootDir>/scripts/jest-esbuild-transform.js' },
  setupFilesAfterEnv: ['<rootDir>/__tests__/setup.ts'],
  testTimeout: 60_000,
};
