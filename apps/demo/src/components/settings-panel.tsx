import type { Dataset } from '@tandem/client-sdk';
import { useId, useState, type FormEvent } from 'react';
import { NOTE_ORDERS, THEMES, useSettings } from '../settings.js';
import { useSyncState } from '../sync/hooks.js';
import { SETTINGS } from '../tandem.js';
import { NotSynced, SyncStatus } from './sync-status.js';

export function SettingsPanel() {
  const { dataset, settings, records } = useSettings();
  const state = useSyncState(dataset);
  const modified = (key: string) => records.some((record) => record.key === key && record.modified);
  return (
    <section className="card" aria-labelledby="settings-title" data-testid="settings">
      <h2 id="settings-title">Settings</h2>
      {dataset ? (
        <div className="stack">
          <DisplayNameField
            dataset={dataset}
            stored={settings.displayName}
            modified={modified('displayName')}
          />
          <ChoiceField
            legend="Theme"
            name="theme"
            options={THEMES}
            value={settings.theme}
            modified={modified('theme')}
            // A write resolves once IndexedDB holds it; the sync follows by itself.
            onChange={(value) => void dataset.put('theme', value)}
          />
          <ChoiceField
            legend="Note order"
            name="noteOrder"
            options={NOTE_ORDERS}
            value={settings.noteOrder}
            modified={modified('noteOrder')}
            onChange={(value) => void dataset.put('noteOrder', value)}
          />
        </div>
      ) : (
        <p className="muted">Opening…</p>
      )}
      <SyncStatus name={SETTINGS} state={state} />
    </section>
  );
}

function DisplayNameField(props: { dataset: Dataset; stored: string; modified: boolean }) {
  const { dataset, stored, modified } = props;
  const id = useId();
  // While the user types, the draft wins; otherwise the field follows the dataset, so a change
  // made on another device shows up here as soon as it syncs.
  const [draft, setDraft] = useState<string | null>(null);
  const unchanged = draft === null || draft.trim() === stored;

  async function save(event: FormEvent) {
    event.preventDefault();
    if (draft === null) return;
    const name = draft.trim();
    // Removing a key leaves a tombstone, so other devices learn that it is gone.
    if (name) await dataset.put('displayName', name);
    else await dataset.remove('displayName');
    setDraft(null);
  }

  return (
    <form className="field" onSubmit={save}>
      <label htmlFor={id}>Display name {modified && <NotSynced />}</label>
      <div className="inline">
        <input
          id={id}
          value={draft ?? stored}
          maxLength={80}
          placeholder="How should we greet you?"
          data-testid="display-name"
          onChange={(event) => setDraft(event.target.value)}
          onKeyDown={(event) => {
            if (event.key === 'Escape') setDraft(null);
          }}
        />
        <button type="submit" className="button" disabled={unchanged}>
          Save
        </button>
      </div>
    </form>
  );
}

function ChoiceField<T extends string>(props: {
  legend: string;
  name: string;
  options: ReadonlyArray<{ value: T; label: string }>;
  value: T;
  modified: boolean;
  onChange(value: T): void;
}) {
  const { legend, name, options, value, modified, onChange } = props;
  return (
    <fieldset className="field">
      <legend>
        {legend} {modified && <NotSynced />}
      </legend>
      <div className="segmented">
        {options.map((option) => (
          <label key={option.value}>
            <input
              type="radio"
              name={name}
              value={option.value}
              checked={value === option.value}
              onChange={() => onChange(option.value)}
            />
            <span>{option.label}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
