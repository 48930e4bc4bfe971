import type { NextConfig } from 'next';

/**
 * The console is a client-rendered admin UI plus two runtime proxy routes (/trpc, /api/auth) to
 * the API; nothing is fetched at build time. Workspace packages ship TypeScript source, so Next
 * compiles the ones imported at runtime. Types are checked by the `typecheck` target, not by
 * `next build` (it would check them a second time).
 *
 * Build with webpack (`next build --webpack`, the `build` script): workspace packages import
 * their siblings as `./x.js` (TypeScript's ESM convention) and only webpack maps that to
 * `./x.ts` (`resolve.extensionAlias`); Turbopack has no such option yet (vercel/next.js#82945).
 */
const config: NextConfig = {
  transpilePackages: ['@tandem/sync-protocol'],
  typescript: { ignoreBuildErrors: true },
  allowedDevOrigins: ['127.0.0.1', 'localhost'],
  poweredByHeader: false,
  reactStrictMode: true,
  webpack(config: { resolve: { extensionAlias?: Record<string, string[]> } }) {
    config.resolve.extensionAlias = { '.js': ['.ts', '.tsx', '.js'] };
    return config;
  },
};

export default config;
