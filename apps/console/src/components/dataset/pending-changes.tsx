'use client';
/** The staged changes of a dataset, with what each does (before → after) and Discard. */
import { Button } from '../button';
import { plural } from '../../lib/format';
import { kindOf, type ServerRecord, type StagedChange } from '../../lib/staged-changes';

const KIND = {
  add: { label: 'Add', tone: 'badge-success' },
  edit: { label: 'Edit', tone: 'badge-accent' },
  remove: { label: 'Remove', tone: 'badge-danger' },
} as const;

/** A short form of a value: JSON on one line, long text cut. */
function preview(text: string): string {
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text));
  } catch {
    // not JSON: as is
  }
  return shown.length > 300 ? `${shown.slice(0, 300)}…` : shown;
}

export function PendingChanges({
  changes,
  server,
  syncing,
  onDiscard,
  onDiscardAll,
  onSynchronize,
}: {
  changes: StagedChange[];
  server: ReadonlyMap<string, ServerRecord>;
  syncing: boolean;
  onDiscard(key: string): void;
  onDiscardAll(): void;
  onSynchronize(): void;
}) {
  return (
    <section className="card" aria-labelledby="pending-title" data-testid="pending-changes">
      <div className="card-header">
        <div>
          <h2 id="pending-title">
            Changes not synchronized <span className="badge badge-warning">{changes.length}</span>
          </h2>
          <p>
            Saved in this browser only.{' '}
            {changes.length === 1
              ? 'Synchronize sends it to the server; devices see it at their next sync.'
              : `Synchronize sends all ${plural(changes.length, 'change')} to the server at once; devices see them at their next sync.`}
          </p>
        </div>
        <div className="actions">
          <Button onClick={onDiscardAll} disabled={syncing}>
            Discard all
          </Button>
          <Button variant="primary" onClick={onSynchronize} busy={syncing}>
            Synchronize
          </Button>
        </div>
      </div>
      <ul className="changes-list">
        {changes.map((change) => {
          const kind = kindOf(change);
          const now = server.get(change.key);
          const moved = (now?.syncCount ?? 0) !== change.baseSyncCount;
          return (
            <li
              key={change.key}
              className="change"
              data-testid="pending-change"
              data-key={change.key}
            >
              <span className={`badge ${KIND[kind].tone}`}>{KIND[kind].label}</span>
              <div>
                <div className="change-key">{change.key}</div>
                <dl className="diff">
                  {change.before !== null ? (
                    <>
                      <dt>Before</dt>
                      <dd className={kind === 'remove' || kind === 'edit' ? 'before' : ''}>
                        {preview(change.before)}
                      </dd>
                    </>
                  ) : null}
                  {change.op === 'replace' ? (
                    <>
                      <dt>After</dt>
                      <dd className="after">{preview(change.value ?? '')}</dd>
                    </>
                  ) : null}
                </dl>
                {moved ? (
                  <p className="field-error" style={{ marginTop: 4 }}>
                    A device changed this record since you staged this. Synchronize will ask you
                    what to keep.
                  </p>
                ) : null}
              </div>
              <Button
                size="sm"
                variant="ghost"
                onClick={() => onDiscard(change.key)}
                disabled={syncing}
                aria-label={`Discard the change to ${change.key}`}
              >
                Discard
              </Button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
