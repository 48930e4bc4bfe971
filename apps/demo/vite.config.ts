/**
 * Dev server (`npm run demo`) and `vite preview`, both proxying the API's two mount points so
 * the app talks to its own origin: no CORS, and `location.origin` is the URL the SDK is given.
 * TANDEM_API_URL points the proxy at another API (default: `npm start`'s).
 */
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin, type ProxyOptions } from 'vite';

const apiUrl = process.env.TANDEM_API_URL ?? 'http://127.0.0.1:4000';
const apiOrigin = new URL(apiUrl).origin;

const toApi: ProxyOptions = {
  target: apiUrl,
  changeOrigin: true,
  configure(proxy) {
    proxy.on('proxyReq', (request) => {
      // better-auth refuses sign-up and sign-in from an origin it does not trust (403
      // INVALID_ORIGIN). To the API this proxy is the API itself, so it passes the API's origin;
      // a deployed app sits behind the same reverse proxy as the API, or is listed in the API's
      // TRUSTED_ORIGINS.
      if (request.getHeader('origin')) request.setHeader('origin', apiOrigin);
      // The SDK authenticates with bearer tokens only: better-auth's session cookie stays out.
      request.removeHeader('cookie');
    });
    proxy.on('proxyRes', (response) => {
      delete response.headers['set-cookie'];
    });
  },
};
const proxy = { '/trpc': toApi, '/api/auth': toApi };

/**
 * The service worker (src/service-worker.ts) lives at /service-worker.js: a worker controls
 * only the pages under its own path, and this one is for the whole app. The build writes it
 * there as a second entry (an ES module, with chunks it shares with the page); the dev server
 * serves the source module at that URL.
 */
const SERVICE_WORKER = 'service-worker';
const serviceWorkerSource = fileURLToPath(new URL('src/service-worker.ts', import.meta.url));

function serviceWorkerInDev(): Plugin {
  return {
    name: 'demo:service-worker-dev',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use((request, _response, next) => {
        const [pathname, query] = (request.url ?? '').split('?');
        if (pathname === `/${SERVICE_WORKER}.js`) {
          request.url = `/src/${SERVICE_WORKER}.ts${query ? `?${query}` : ''}`;
        }
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), serviceWorkerInDev()],
  build: {
    rolldownOptions: {
      input: {
        index: fileURLToPath(new URL('index.html', import.meta.url)),
        [SERVICE_WORKER]: serviceWorkerSource,
      },
      output: {
        // The worker's URL must not change between builds (browsers update it in place).
        entryFileNames: (chunk) =>
          chunk.name === SERVICE_WORKER ? `${SERVICE_WORKER}.js` : 'assets/[name]-[hash].js',
      },
    },
  },
  server: { host: '127.0.0.1', port: 5173, proxy },
  preview: { host: '127.0.0.1', port: 4173, proxy },
});
