// ESLint flat config. Issue 14 asks for typescript-eslint's strict type-checked rules, with Prettier deciding the
// formatting. A rule is off or loosened here only with the reason next to it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// restrict-template-expressions' options for the source (tests and benches loosen two). Every option is restated:
// an options object replaces the strict preset's, not merges with it.
const templateExpressions = {
  allowNumber: true,
  allowAny: false,
  allowBoolean: false,
  allowNullish: false,
  allowRegExp: false,
  allowNever: false,
  allowArray: false,
};

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'redis-resilience-report/'] },
  js.configs.recommended,
  tseslint.configs.strictTypeChecked,
  tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers print the same everywhere, and messages are full of counts and milliseconds; the rule stays on
      // for what really prints badly (undefined, objects, arrays).
      '@typescript-eslint/restrict-template-expressions': ['error', templateExpressions],
      // `(line) => core.info(line)` returns nothing either way; wrapping each such callback in braces adds only
      // noise. A void value used anywhere else is still reported.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // `async` without `await` is how the platform seam and its fakes return a promise that rejects instead of
      // throwing synchronously; the missing-await bugs this rule hints at are caught by no-floating-promises
      // and no-misused-promises.
      '@typescript-eslint/require-await': 'off',
      // An empty arrow is this code's deliberate no-op: a default callback, a silent log, an error already reported
      // elsewhere. An empty function or method body still needs a comment inside it.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
      // `text || '-'` is meant: an empty string (a pod with no node name yet) is as absent as a missing one.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true } }],
      // @kubernetes/client-node declares its API models as classes, but they are plain JSON data: its own
      // examples build request bodies as object literals (examples/kubectl/equivalents/namespace-create.js in
      // kubernetes-client/javascript), which is what this rule reports.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      // `T[]` for a simple element type, `Array<{ ... }>` where the element is an object or a function type, as the
      // code was written: a long element type reads better with its container named first.
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      // `const { a: _a, ...rest } = o` is how an object without some keys is written.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
      // tsconfig.json sets noUncheckedIndexedAccess, so every index and lookup the types cannot prove present must
      // be checked or asserted; `!` is that assertion where the code knows better (a regex group that matched, a
      // key just set). Replacing each with a runtime check would add branches that can never run.
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // Tests and benches: an assertion or bench message that prints "undefined" or a regex says exactly what was
    // there, which is what such a message is for.
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { ...templateExpressions, allowNullish: true, allowRegExp: true },
      ],
    },
  },
  {
    // The build scripts and this file are plain JavaScript outside tsconfig.json: lint them without types.
    files: ['**/*.js', '**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  // Last: turns off every style rule that Prettier decides, so the two never disagree.
  prettier,
);
