import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { Splash } from './components/splash.js';
import { messageOf } from './format.js';
import { createTandem, TandemContext } from './sync/context.js';
import { resolveIdentityPoolId, startTandem } from './tandem.js';
import './styles.css';

const root = createRoot(document.getElementById('root')!);

async function start() {
  root.render(<Splash message="Starting…" />);
  try {
    const client = await startTandem(await resolveIdentityPoolId());
    root.render(
      <StrictMode>
        <TandemContext value={createTandem(client)}>
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
