// @ts-check
/**
 * The workspace config (../../eslint.config.js) plus React's rules of hooks, which also check the
 * React Compiler's rules (no setState during render, no ref reads in render, pure components).
 */
import reactHooks from 'eslint-plugin-react-hooks';
import { defineConfig } from 'eslint/config';
import workspace from '../../eslint.config.js';

export default defineConfig(workspace, {
  name: 'demo/react-hooks',
  files: ['src/**/*.{ts,tsx}'],
  extends: [reactHooks.configs.flat.recommended],
  rules: {
    // Warnings are easy to ignore in CI; these catch real bugs (stale closures).
    'react-hooks/exhaustive-deps': 'error',
  },
});
