'use client';
/** A dataset's live records: filter by key or value, pages of 25, Edit and Remove per record. */
import { useState } from 'react';
import { Button } from '../button';
import { EmptyState } from '../states';
import { formatDate } from '../../lib/format';
import { kindOf, type ServerRecord, type StagedChange } from '../../lib/staged-changes';

const PAGE_SIZE = 25;

const preview = (text: string) => (text.length > 200 ? `${text.slice(0, 200)}…` : text);

export function RecordsTable({
  records,
  staged,
  onCreate,
  onEdit,
  onRemove,
  disabled,
}: {
  records: ServerRecord[];
  staged: ReadonlyMap<string, StagedChange>;
  onCreate(): void;
  onEdit(key: string): void;
  onRemove(key: string): void;
  disabled: boolean;
}) {
  const [filter, setFilter] = useState('');
  const [page, setPage] = useState(0);
  const needle = filter.trim().toLowerCase();
  const shown = records
    .filter(
      (record) =>
        !needle ||
        record.key.toLowerCase().includes(needle) ||
        (record.value ?? '').toLowerCase().includes(needle),
    )
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);
  const rows = shown.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE);

  return (
    <section className="card" aria-labelledby="records-title">
      <div className="card-header">
        <h2 id="records-title">Records</h2>
        <div className="search-bar" style={{ flex: '0 1 360px' }}>
          <label htmlFor="record-filter" className="visually-hidden">
            Filter records
          </label>
          <input
            id="record-filter"
            className="input"
            type="search"
            placeholder="Filter by key or value"
            value={filter}
            onChange={(event) => {
              setFilter(event.target.value);
              setPage(0);
            }}
          />
        </div>
      </div>
      {records.length === 0 ? (
        <EmptyState
          icon="▤"
          title="No records"
          action={
            <Button variant="primary" onClick={onCreate} disabled={disabled}>
              Create record
            </Button>
          }
        >
          Records created here are sent to the server when you Synchronize.
        </EmptyState>
      ) : shown.length === 0 ? (
        <EmptyState icon="⌕" title="No record matches the filter">
          Nothing has “{filter}” in its key or value.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table" data-testid="records-table">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Value</th>
                <th scope="col" className="num hide-phone">
                  Sync count
                </th>
                <th scope="col" className="hide-phone">
                  Last modified
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((record) => {
                const change = staged.get(record.key);
                return (
                  <tr key={record.key} data-testid="record-row" data-key={record.key}>
                    <td>
                      <span className="mono" style={{ overflowWrap: 'break-word' }}>
                        {record.key}
                      </span>
                      {change ? (
                        <div>
                          <span className="badge badge-warning">
                            {kindOf(change) === 'remove' ? 'Removal staged' : 'Edit staged'}
                          </span>
                        </div>
                      ) : null}
                    </td>
                    <td
                      className="value-cell"
                      title={preview(record.value ?? '')}
                      data-testid="record-value"
                    >
                      {preview(record.value ?? '')}
                    </td>
                    <td className="num hide-phone" data-testid="record-sync-count">
                      {record.syncCount}
                    </td>
                    <td className="hide-phone">
                      <div className="nowrap">{formatDate(record.lastModifiedDate)}</div>
                      <div
                        className="stat-note truncate"
                        title={record.lastModifiedBy ?? undefined}
                      >
                        by <span className="mono">{record.lastModifiedBy ?? '—'}</span>
                      </div>
                    </td>
                    <td>
                      <div className="row-actions">
                        <Button
                          size="sm"
                          onClick={() => onEdit(record.key)}
                          disabled={disabled}
                          aria-label={`Edit ${record.key}`}
                        >
                          Edit
                        </Button>
                        <Button
                          size="sm"
                          variant="danger-outline"
                          onClick={() => onRemove(record.key)}
                          disabled={disabled || change?.op === 'remove'}
                          aria-label={`Remove ${record.key}`}
                        >
                          Remove
                        </Button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {shown.length > PAGE_SIZE ? (
        <div className="pager">
          <span>
            {current * PAGE_SIZE + 1}–{Math.min(shown.length, (current + 1) * PAGE_SIZE)} of{' '}
            {shown.length}
          </span>
          <div className="actions">
            <Button size="sm" disabled={current === 0} onClick={() => setPage(current - 1)}>
              ← Previous
            </Button>
            <Button size="sm" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
              Next →
            </Button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
