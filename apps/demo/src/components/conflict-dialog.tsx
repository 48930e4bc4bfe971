import { defaultConflictResolution, type SyncConflict } from '@tandem/client-sdk';
import { useEffect, useId, useRef, useState, useSyncExternalStore, type FormEvent } from 'react';
import { formatTime } from '../format.js';
import { SETTING_LABELS } from '../settings.js';
import { useTandem } from '../sync/context.js';
import type { ConflictRequest } from '../sync/conflicts.js';
import { NOTES } from '../tandem.js';

type Choice = { kind: 'local' } | { kind: 'remote' } | { kind: 'value'; value: string };

const describe = (value: string | null) => value ?? '(deleted)';

function labelFor(datasetName: string, key: string) {
  if (datasetName === NOTES) return 'Note';
  return SETTING_LABELS[key] ?? key;
}

/** A starting point for "write a merged version": both texts, or the newer one for settings. */
function suggestMerge(datasetName: string, conflict: SyncConflict): string {
  const { local, remote } = conflict;
  if (datasetName !== NOTES) return (local.value ?? remote.value) || '';
  return [local.value, remote.value].filter(Boolean).join('\n');
}

/** Shows the oldest waiting conflict request; the sync that raised it waits for the answer. */
export function ConflictDialog() {
  const { conflicts } = useTandem();
  const request = useSyncExternalStore(conflicts.subscribe, conflicts.current);
  return request ? <ConflictForm key={request.id} request={request} /> : null;
}

function ConflictForm({ request }: { request: ConflictRequest }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // Preselect what the SDK would do by itself: the most recent change wins.
  const [choices, setChoices] = useState<Choice[]>(() =>
    request.conflicts.map(
      (conflict) => ({ kind: defaultConflictResolution(conflict).kind }) as Choice,
    ),
  );

  useEffect(() => {
    // A modal <dialog> traps focus, makes the page behind it inert and closes on Escape.
    const element = dialog.current;
    element?.showModal();
    return () => element?.close();
  }, []);

  function choose(index: number, choice: Choice) {
    setChoices((current) => current.map((old, i) => (i === index ? choice : old)));
  }

  function apply(event: FormEvent) {
    event.preventDefault();
    request.conflicts.forEach((conflict, i) => {
      const choice = choices[i]!;
      if (choice.kind === 'local') conflict.resolveWithLocal();
      else if (choice.kind === 'remote') conflict.resolveWithRemote();
      else conflict.resolveWithValue(choice.value);
    });
    request.settle(true); // the sync goes on and pushes the result
  }

  const count = request.conflicts.length;
  return (
    <dialog
      ref={dialog}
      className="dialog"
      aria-labelledby={titleId}
      data-testid="conflict-dialog"
      // Escape means "not now": the sync stops, local changes stay, the next sync asks again.
      onCancel={() => request.settle(false)}
    >
      <form onSubmit={apply}>
        <h2 id={titleId}>Changed on two devices</h2>
        <p className="muted">
          {count === 1 ? 'This was' : `These ${count} items were`} changed on this device and on
          another one before they could sync. Choose what to keep.
        </p>
        {request.conflicts.map((conflict, index) => (
          <ConflictChoice
            key={conflict.key}
            label={labelFor(request.datasetName, conflict.key)}
            conflict={conflict}
            choice={choices[index]!}
            suggestion={suggestMerge(request.datasetName, conflict)}
            onChoose={(choice) => choose(index, choice)}
          />
        ))}
        <div className="actions end">
          <button type="button" className="button" onClick={() => request.settle(false)}>
            Decide later
          </button>
          <button type="submit" className="button primary" data-testid="conflict-apply">
            Apply
          </button>
        </div>
      </form>
    </dialog>
  );
}

function ConflictChoice(props: {
  label: string;
  conflict: SyncConflict;
  choice: Choice;
  suggestion: string;
  onChoose(choice: Choice): void;
}) {
  const { label, conflict, choice, suggestion, onChoose } = props;
  const id = useId();
  const newer = defaultConflictResolution(conflict).kind;
  const sides = [
    { kind: 'local', title: 'Keep mine', side: conflict.local, where: 'This device' },
    { kind: 'remote', title: 'Keep theirs', side: conflict.remote, where: 'Other device' },
  ] as const;

  return (
    <fieldset className="conflict" data-testid="conflict" data-key={conflict.key}>
      <legend>{label}</legend>
      <div className="conflict-options">
        {sides.map(({ kind, title, side, where }) => (
          <label key={kind} className="option">
            <input
              type="radio"
              name={id}
              checked={choice.kind === kind}
              aria-labelledby={`${id}-${kind}`}
              aria-describedby={`${id}-${kind}-value`}
              onChange={() => onChoose({ kind })}
            />
            <span className="option-body">
              <span className="option-head">
                <span className="option-title" id={`${id}-${kind}`}>
                  {title}
                </span>
                {newer === kind && <span className="badge">newer</span>}
              </span>
              <span className="option-value" id={`${id}-${kind}-value`}>
                {describe(side.value)}
              </span>
              <span className="option-meta">
                {where} · {formatTime(side.modifiedAt)}
              </span>
            </span>
          </label>
        ))}
        <label className="option">
          <input
            type="radio"
            name={id}
            checked={choice.kind === 'value'}
            aria-labelledby={`${id}-value`}
            onChange={() => onChoose({ kind: 'value', value: suggestion })}
          />
          <span className="option-body">
            <span className="option-title" id={`${id}-value`}>
              Write a merged version
            </span>
          </span>
        </label>
      </div>
      {choice.kind === 'value' && (
        <textarea
          aria-label={`Merged ${label.toLowerCase()}`}
          rows={3}
          value={choice.value}
          data-testid="conflict-merged-value"
          onChange={(event) => onChoose({ kind: 'value', value: event.target.value })}
        />
      )}
    </fieldset>
  );
}
