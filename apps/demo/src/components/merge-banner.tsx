import { useState, useSyncExternalStore } from 'react';
import { messageOf } from '../format.js';
import { useTandem } from '../sync/context.js';
import { finishMerge } from '../sync/merges.js';

const LABELS: Readonly<Record<string, string>> = { notes: 'Notes', settings: 'Settings' };

/**
 * Shown after a guest signed in to an account that already had data: the guest's datasets were
 * moved into the account under new names (reported by `onDatasetsMerged`), and the user decides
 * what becomes of them.
 */
export function MergeBanner() {
  const { client, merges, callbacksFor } = useTandem();
  const merged = useSyncExternalStore(merges.subscribe, merges.get);
  const [busy, setBusy] = useState<'import' | 'discard' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const entries = Object.entries(merged);
  if (entries.length === 0) return null;

  async function finish(action: 'import' | 'discard') {
    setBusy(action);
    setError(null);
    try {
      for (const [datasetName, mergedNames] of entries) {
        const target = await client.dataset(datasetName, callbacksFor(datasetName));
        await finishMerge(client, target, mergedNames, action);
        merges.report(datasetName, []);
      }
    } catch (caught) {
      setError(`Could not finish: ${messageOf(caught)}. Your guest data is still there.`);
    } finally {
      setBusy(null);
    }
  }

  return (
    <section className="banner" aria-labelledby="merge-title" data-testid="merge-banner">
      <div>
        <h2 id="merge-title">You have data from your guest session</h2>
        <p>
          This account already had data, so what you did as a guest on this device was kept beside
          it, in separate datasets:
        </p>
        <ul className="merged-list">
          {entries.flatMap(([datasetName, mergedNames]) =>
            mergedNames.map((name) => (
              <li key={name}>
                <strong>{LABELS[datasetName] ?? datasetName}</strong> <code>{name}</code>
              </li>
            )),
          )}
        </ul>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </div>
      <div className="actions">
        <button
          type="button"
          className="button primary"
          disabled={busy !== null}
          onClick={() => void finish('import')}
        >
          {busy === 'import' ? 'Importing…' : 'Import into my account'}
        </button>
        <button
          type="button"
          className="button"
          disabled={busy !== null}
          onClick={() => void finish('discard')}
        >
          {busy === 'discard' ? 'Discarding…' : 'Discard guest data'}
        </button>
      </div>
    </section>
  );
}
