/**
 * Dev server (`npm run demo`) and `vite preview`, both proxying the API's two mount points so
 * the app talks to its own origin: no CORS, and `location.origin` is the URL the SDK is given.
 * TANDEM_API_URL points the proxy at another API (default: `npm start`'s).
 */
import react from '@vitejs/plugin-react';
import { defineConfig, type ProxyOptions } from 'vite';

const apiUrl = process.env.TANDEM_API_URL ?? 'http://127.0.0.1:4000';

const toApi: ProxyOptions = {
  target: apiUrl,
  changeOrigin: true,
  configure(proxy) {
    // The SDK authenticates with bearer tokens only. better-auth also sets a session cookie, and
    // it refuses a request that carries one from an origin it does not trust (this dev origin):
    // 403 INVALID_ORIGIN. Keeping cookies out of both directions leaves the bearer token alone.
    proxy.on('proxyReq', (request) => request.removeHeader('cookie'));
    proxy.on('proxyRes', (response) => {
      delete response.headers['set-cookie'];
    });
  },
};
const proxy = { '/trpc': toApi, '/api/auth': toApi };

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173, proxy },
  preview: { host: '127.0.0.1', port: 4173, proxy },
});
