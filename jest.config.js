// ESM-only packages that Jest on Node 20 cannot require(): transform them.
const esmOnly = [
  'jose',
  '@middy',
  '@silverbucket',
  'ajv-ftl-i18n',
  'fluent-transpiler',
];

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.(t|j|mj)s$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  transformIgnorePatterns: [`node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  setupFiles: ['<rootDir>/test/setup-env.cjs'],
  testTimeout: 30000,
};
