import { useEffect } from 'react';
import { AccountPanel } from './components/account-panel.js';
import { BackgroundSyncPanel } from './components/background-sync-panel.js';
import { ConflictDialog } from './components/conflict-dialog.js';
import { Header } from './components/header.js';
import { MergeBanner } from './components/merge-banner.js';
import { NotesPanel } from './components/notes-panel.js';
import { SessionNotice } from './components/session-notice.js';
import { SettingsPanel } from './components/settings-panel.js';
import { useSettings } from './settings.js';

export function App() {
  const { settings } = useSettings();
  useEffect(() => {
    // A synced setting applies on every device: change the theme here, it changes there.
    document.documentElement.dataset.theme = settings.theme;
  }, [settings.theme]);

  return (
    <div className="app">
      <Header />
      <main className="layout">
        <SessionNotice />
        <MergeBanner />
        <NotesPanel />
        <div className="column">
          <AccountPanel />
          <SettingsPanel />
          <BackgroundSyncPanel />
        </div>
      </main>
      <ConflictDialog />
    </div>
  );
}
