// @ts-check
/**
 * The workspace config (../../eslint.config.js) plus React's rules of hooks, and the two
 * exceptions the console needs to the workspace's platform:browser constraints:
 *  - `next` is its framework (its route handlers run on the server and proxy to the API);
 *  - `@tandem/api-router` (platform:node) only for `import type { AppRouter }`: the type-only
 *    dependency of STYLE.md, allowed by module boundaries and held to types by
 *    `@typescript-eslint/no-restricted-imports` with `allowTypeImports`.
 */
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig } from 'eslint/config';
import workspace from '../../eslint.config.js';

const boundaries = workspace.find((config) => config.name === 'tandem/module-boundaries');
const [severity, options] = /** @type {[string, any]} */ (
  boundaries?.rules?.['@nx/enforce-module-boundaries'] ?? []
);
if (!options) throw new Error('apps/console/eslint.config.js: module-boundaries config not found');

const consoleBoundaries = {
  ...options,
  allow: [...options.allow, '@tandem/api-router'],
  depConstraints: options.depConstraints.map((/** @type {any} */ constraint) =>
    constraint.sourceTag === 'platform:browser'
      ? {
          ...constraint,
          bannedExternalImports: constraint.bannedExternalImports.filter(
            (/** @type {string} */ name) => name !== 'next' && name !== 'next/*',
          ),
        }
      : constraint,
  ),
};

export default defineConfig(
  workspace,
  {
    name: 'console/react-hooks',
    files: ['src/**/*.{ts,tsx}'],
    extends: [reactHooks.configs.flat.recommended],
    rules: {
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    name: 'console/boundaries',
    files: ['**/*.{ts,tsx,js,mjs}'],
    rules: {
      '@nx/enforce-module-boundaries': [severity, consoleBoundaries],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@tandem/api-router',
              message: 'The console talks to the API over HTTP: import only its types.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
