import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { Splash } from './components/splash.js';
import { messageOf } from './format.js';
import { registerServiceWorker } from './sync/background.js';
import { createTandem, TandemContext } from './sync/context.js';
import { resolveIdentityPoolId, startTandem } from './tandem.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

async function start() {
  root.render(<Splash message="Starting…" />);
  try {
    const identityPoolId = await resolveIdentityPoolId();
    const client = await startTandem(identityPoolId);
    // The service worker syncs in the background when a push says another device changed data.
    const serviceWorker = registerServiceWorker(identityPoolId);
    root.render(
      <StrictMode>
        <TandemContext value={createTandem(client, serviceWorker)}>
          <App />
        </TandemContext>
      </StrictMode>,
    );
  } catch (error) {
    root.render(
      <Splash message={`Could not start: ${messageOf(error)}`} onRetry={() => void start()} />,
    );
  }
}

void start();
