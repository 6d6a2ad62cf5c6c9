// ESLint (flat config): typescript-eslint's type-aware recommended rules and a few stylistic ones. `npm run lint`.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    // Built output, installed packages, caches, and data that is not code (fixture repositories, templates).
    ignores: ['dist/', 'node_modules/', 'coverage/', '.cache/', '.bench/', '.test-results/', 'fixtures/', 'templates/', 'schema/'],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js', '*.ts', 'test/support/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Stylistic, chosen for this code base:
      // - Type-only imports are written `type`: what a module loads at run time is visible in its imports, which
      //   matters here because start-up loads only what a command needs (test/startup.test.ts).
      //   `typeof import('x')` stays allowed: it names the type of a module that is loaded lazily, on first use.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // - `===` everywhere except `== null`, the one comparison that is clearer loose (null or undefined).
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // - `{ name }`, not `{ name: name }`; methods in object literals as methods.
      'object-shorthand': ['error', 'always'],
      // - Interfaces for object shapes (declaration merging and clearer errors); type aliases for unions.
      '@typescript-eslint/consistent-type-definitions': ['error', 'interface'],

      // Tuned: an async function that never awaits still turns a throw into a rejected promise, which is what its
      // callers handle (main maps rejections of every command to exit codes; listr2 tasks report them); the commands
      // keep one async signature whether or not a given one awaits.
      '@typescript-eslint/require-await': 'off',
      // Tuned: `const { enabled: _, ...rest } = x` is how a key is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true, argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests read the CLI's JSON output (reports, SARIF logs, vitest reports) as untyped data and let expect()
      // check its shape; declaring a type for every report only to read it back would check nothing more.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
