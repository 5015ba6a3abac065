// One lint setup for the whole monorepo: typescript-eslint's recommended rules on every package.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/.turbo/**',
      '.kiln/**',
      'test/artifacts/**',
      'test/bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // Long procedures become named steps (STYLE.md); specs' describe blocks are exempt.
    files: ['apps/*/src/**/*.ts', 'packages/*/src/**/*.ts'],
    ignores: ['**/*.spec.ts', '**/*.test-helper.ts'],
    rules: { 'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true, IIFEs: true }] },
  },
  {
    files: ['apps/dashboard/src/web/**', 'apps/api/public/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Test harnesses and the launcher talk to a terminal on purpose.
    files: ['**/*.spec.ts', 'test/**', 'packages/stack/src/**', 'packages/testing/src/**'],
    rules: { 'no-console': 'off' },
  },
);
