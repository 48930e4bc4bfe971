'use client';
/**
 * Create or edit one record: a key and a value. Values are JSON by default (Format as JSON
 * pretty-prints and proves it well-formed; malformed JSON cannot be saved); "Text" stores the
 * value exactly as typed, for records devices keep as plain strings.
 */
import { useState } from 'react';
import { Button } from '../button';
import { Dialog } from '../dialog';
import { Field } from '../field';
import { isJson, jsonError, recordKeyError, recordValueError } from '../../lib/validation';

export interface RecordDraft {
  key: string;
  value: string;
}

type Mode = 'json' | 'text';

export function RecordDialog({
  open,
  editing,
  keyTaken,
  onClose,
  onSave,
}: {
  open: boolean;
  /** The record edited (its current value, staged or live); null to create one. */
  editing: RecordDraft | null;
  /** Whether a new record's key is already used. */
  keyTaken(key: string): boolean;
  onClose(): void;
  onSave(draft: RecordDraft): void;
}) {
  return open ? (
    <RecordForm editing={editing} keyTaken={keyTaken} onClose={onClose} onSave={onSave} />
  ) : null;
}

function RecordForm({
  editing,
  keyTaken,
  onClose,
  onSave,
}: {
  editing: RecordDraft | null;
  keyTaken(key: string): boolean;
  onClose(): void;
  onSave(draft: RecordDraft): void;
}) {
  const [key, setKey] = useState(editing?.key ?? '');
  const [value, setValue] = useState(editing?.value ?? '');
  const [mode, setMode] = useState<Mode>(editing && !isJson(editing.value) ? 'text' : 'json');
  const [keyProblem, setKeyProblem] = useState<string | null>(null);
  const [valueProblem, setValueProblem] = useState<string | null>(null);
  const [formatted, setFormatted] = useState(false);

  const formatJson = () => {
    const problem = jsonError(value);
    if (problem) {
      setValueProblem(problem);
      setFormatted(false);
      return;
    }
    setValue(JSON.stringify(JSON.parse(value), null, 2));
    setValueProblem(null);
    setFormatted(true);
  };

  const save = () => {
    const keyIssue = editing
      ? null
      : (recordKeyError(key) ??
        (keyTaken(key)
          ? 'A record with this key already exists. Edit that record instead.'
          : null));
    const jsonIssue = mode === 'json' ? jsonError(value) : null;
    const valueIssue =
      (jsonIssue ? `${jsonIssue} Fix it, or choose “Text” if the value is not JSON.` : null) ??
      recordValueError(value);
    setKeyProblem(keyIssue);
    setValueProblem(valueIssue);
    setFormatted(false);
    if (keyIssue || valueIssue) return;
    onSave({ key, value });
  };

  return (
    <Dialog
      open
      wide
      title={editing ? 'Edit record' : 'Create record'}
      description="Saved changes stay in the console until you Synchronize the dataset."
      onClose={onClose}
      onSubmit={save}
      testId="record-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary">
            Save changes
          </Button>
        </>
      }
    >
      <Field label="Key" error={keyProblem} hint={editing ? 'Keys cannot be renamed.' : undefined}>
        <input
          className="input mono"
          value={key}
          readOnly={Boolean(editing)}
          onChange={(event) => {
            setKey(event.target.value);
            setKeyProblem(null);
          }}
          spellCheck={false}
          autoComplete="off"
          autoFocus={!editing}
        />
      </Field>
      <fieldset>
        <legend>Value type</legend>
        <div className="radios">
          <label className="check">
            <input
              type="radio"
              name="value-mode"
              checked={mode === 'json'}
              onChange={() => {
                setMode('json');
                setValueProblem(null);
              }}
            />
            <span>JSON</span>
          </label>
          <label className="check">
            <input
              type="radio"
              name="value-mode"
              checked={mode === 'text'}
              onChange={() => {
                setMode('text');
                setValueProblem(null);
              }}
            />
            <span>Text (stored exactly as typed)</span>
          </label>
        </div>
      </fieldset>
      <Field
        label="Value"
        error={valueProblem}
        hint={
          mode === 'json'
            ? 'A JSON value: "text", 42, true, null, [ … ] or { … }.'
            : 'Any text; devices receive it as a string.'
        }
      >
        <textarea
          className="textarea"
          rows={8}
          value={value}
          onChange={(event) => {
            setValue(event.target.value);
            setValueProblem(null);
            setFormatted(false);
          }}
          spellCheck={false}
          autoFocus={Boolean(editing)}
        />
      </Field>
      {mode === 'json' ? (
        <div className="actions">
          <Button size="sm" onClick={formatJson}>
            Format as JSON
          </Button>
          {formatted ? (
            <span className="badge badge-success" role="status" data-testid="json-ok">
              ✓ Well-formed JSON
            </span>
          ) : null}
        </div>
      ) : null}
    </Dialog>
  );
}
