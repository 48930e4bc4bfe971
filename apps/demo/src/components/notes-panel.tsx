import type { Dataset } from '@tandem/client-sdk';
import { useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { formatTime } from '../format.js';
import { useSettings } from '../settings.js';
import { useDataset, useRecords, useSyncState, type RecordItem } from '../sync/hooks.js';
import { NOTES, newNoteKey } from '../tandem.js';
import { NotSynced, SyncStatus } from './sync-status.js';

/** Ctrl+Enter (⌘+Enter) submits the textarea's form, as in most note and chat apps. */
function submitOnCtrlEnter(event: KeyboardEvent<HTMLTextAreaElement>) {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    event.currentTarget.form?.requestSubmit();
  }
}

/** The `notes` dataset: one record per note, key = note id, value = the note's text. */
export function NotesPanel() {
  const dataset = useDataset(NOTES);
  const records = useRecords(dataset);
  const state = useSyncState(dataset);
  const { settings } = useSettings();
  // Keys start with their creation time, so sorting keys sorts notes by age.
  const notes = [...records].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (settings.noteOrder === 'newest') notes.reverse();

  return (
    <section className="card notes" aria-labelledby="notes-title" data-testid="notes">
      <div className="card-head">
        <h2 id="notes-title">Notes</h2>
        <span className="count">{notes.length}</span>
      </div>
      {dataset && <NewNote dataset={dataset} />}
      {notes.length === 0 ? (
        <p className="empty">
          {dataset ? 'No notes yet. What you write here reaches your other devices.' : 'Opening…'}
        </p>
      ) : (
        dataset && (
          <ul className="note-list">
            {notes.map((note) => (
              <NoteItem key={note.key} note={note} dataset={dataset} />
            ))}
          </ul>
        )
      )}
      <SyncStatus name={NOTES} state={state} />
    </section>
  );
}

function NewNote({ dataset }: { dataset: Dataset }) {
  const id = useId();
  const [text, setText] = useState('');

  async function add(event: FormEvent) {
    event.preventDefault();
    const value = text.trim();
    if (!value) return;
    await dataset.put(newNoteKey(), value);
    setText('');
  }

  return (
    <form className="new-note" onSubmit={add}>
      <label htmlFor={id} className="visually-hidden">
        New note
      </label>
      <textarea
        id={id}
        rows={2}
        placeholder="Write a note…"
        value={text}
        data-testid="new-note"
        onChange={(event) => setText(event.target.value)}
        onKeyDown={submitOnCtrlEnter}
      />
      <button type="submit" className="button primary" disabled={!text.trim()}>
        Add note
      </button>
    </form>
  );
}

function NoteItem({ note, dataset }: { note: RecordItem; dataset: Dataset }) {
  const id = useId();
  const editButton = useRef<HTMLButtonElement>(null);
  const [draft, setDraft] = useState<string | null>(null);
  const preview = note.value.length > 40 ? `${note.value.slice(0, 40)}…` : note.value;

  const stopEditing = () => {
    setDraft(null);
    // Give keyboard users their place back once the Edit button is rendered again.
    requestAnimationFrame(() => editButton.current?.focus());
  };

  async function save(event: FormEvent) {
    event.preventDefault();
    const value = draft?.trim();
    if (value && value !== note.value) await dataset.put(note.key, value);
    stopEditing();
  }

  if (draft !== null) {
    return (
      <li className="note editing" data-testid="note" data-key={note.key}>
        <form onSubmit={save} className="stack">
          <label htmlFor={id} className="visually-hidden">
            Edit note
          </label>
          <textarea
            id={id}
            rows={3}
            autoFocus
            value={draft}
            data-testid="edit-note"
            onChange={(event) => setDraft(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape') stopEditing();
              else submitOnCtrlEnter(event);
            }}
          />
          <div className="actions">
            <button type="submit" className="button primary small" disabled={!draft.trim()}>
              Save
            </button>
            <button type="button" className="button small" onClick={stopEditing}>
              Cancel
            </button>
          </div>
        </form>
      </li>
    );
  }

  return (
    <li className="note" data-testid="note" data-key={note.key} data-modified={note.modified}>
      <p className="note-text" data-testid="note-text">
        {note.value}
      </p>
      <div className="note-foot">
        <span className="muted">{formatTime(note.modifiedAt)}</span>
        {note.modified && <NotSynced />}
        <span className="spacer" />
        <button
          ref={editButton}
          type="button"
          className="button small ghost"
          aria-label={`Edit note: ${preview}`}
          onClick={() => setDraft(note.value)}
        >
          Edit
        </button>
        <button
          type="button"
          className="button small ghost danger"
          aria-label={`Delete note: ${preview}`}
          onClick={() => void dataset.remove(note.key)}
        >
          Delete
        </button>
      </div>
    </li>
  );
}
