'use client';
/**
 * Synchronize was refused (409): a device wrote some of the staged keys after the admin staged
 * them. Nothing was written. For each such key the admin sees the device's value next to theirs
 * and chooses: overwrite (re-stage the change on the record's new sync count) or drop the
 * change. Nothing is sent until the next Synchronize.
 */
import { useState } from 'react';
import { Button } from '../button';
import { Dialog } from '../dialog';
import { formatDate } from '../../lib/format';
import type { Conflict } from '../../lib/staged-changes';

export type Resolution = 'overwrite' | 'drop';

export function ConflictDialog({
  conflicts,
  onCancel,
  onResolve,
}: {
  conflicts: Conflict[];
  onCancel(): void;
  onResolve(choices: Map<string, Resolution>): void;
}) {
  const [choices, setChoices] = useState<Map<string, Resolution>>(new Map());
  const allChosen = conflicts.every((conflict) => choices.has(conflict.change.key));
  const choose = (key: string, resolution: Resolution) =>
    setChoices((current) => new Map(current).set(key, resolution));
  return (
    <Dialog
      open
      wide
      title={
        conflicts.length === 1
          ? 'A device changed this record after you did'
          : `Devices changed ${conflicts.length} records after you did`
      }
      description="Nothing was saved on the server. For each record, keep your change (it replaces the device’s value at the next Synchronize) or drop it (the device’s value stays)."
      onClose={onCancel}
      onSubmit={() => allChosen && onResolve(choices)}
      testId="conflict-dialog"
      footer={
        <>
          <Button onClick={onCancel}>Decide later</Button>
          <Button type="submit" variant="primary" disabled={!allChosen}>
            Apply choices
          </Button>
        </>
      }
    >
      {conflicts.map(({ change, server }) => {
        const name = `conflict-${change.key}`;
        return (
          <fieldset
            key={change.key}
            className="conflict"
            data-testid="conflict"
            data-key={change.key}
          >
            <legend className="mono" style={{ float: 'left', width: '100%' }}>
              {change.key}
            </legend>
            <div className="conflict-values">
              <div>
                <h3>On the server now</h3>
                <pre className="json-preview" data-testid="conflict-theirs">
                  {server.value ?? '(removed)'}
                </pre>
                <p className="stat-note">
                  {server.lastModifiedBy ? `by ${server.lastModifiedBy}, ` : ''}
                  {server.lastModifiedDate ? formatDate(server.lastModifiedDate) : ''}
                </p>
              </div>
              <div>
                <h3>Your change</h3>
                <pre className="json-preview" data-testid="conflict-mine">
                  {change.op === 'remove' ? '(remove this record)' : change.value}
                </pre>
              </div>
            </div>
            <div className="radios" role="radiogroup" aria-label={`What to do with ${change.key}`}>
              <label className="check">
                <input
                  type="radio"
                  name={name}
                  checked={choices.get(change.key) === 'overwrite'}
                  onChange={() => choose(change.key, 'overwrite')}
                />
                <span>Keep my change (overwrite the device’s value)</span>
              </label>
              <label className="check">
                <input
                  type="radio"
                  name={name}
                  checked={choices.get(change.key) === 'drop'}
                  onChange={() => choose(change.key, 'drop')}
                />
                <span>Drop my change (keep the device’s value)</span>
              </label>
            </div>
          </fieldset>
        );
      })}
    </Dialog>
  );
}
