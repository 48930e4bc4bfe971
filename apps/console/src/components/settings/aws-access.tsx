'use client';
/**
 * AWS SDK access: apps built on the AWS SDKs keep their Cognito Sync client and point it at
 * Tandem's AWS-compatible endpoint. Server-side apps sign their requests (SigV4) with a
 * developer key of the pool and may act on any of its identities. A key's secret is shown
 * once, right after it is created (only a sealed copy is stored); revoking a key refuses its
 * requests at once.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  developerKeyNameSchema,
  MAX_ACTIVE_DEVELOPER_KEYS,
  type CreateDeveloperKeyResponse,
  type DeveloperKey,
} from '@tandem/sync-protocol';
import { useId, useState } from 'react';
import { Button } from '../button';
import { CopyButton } from '../copy-button';
import { Dialog } from '../dialog';
import { ErrorNotice, Loading } from '../states';
import { useToast } from '../toast';
import { explainError } from '../../lib/errors';
import { formatDate, plural } from '../../lib/format';
import { useTRPC } from '../../lib/trpc';
import { SettingsSection } from './section';
import type { PoolSettings } from './use-save-settings';

/** Before the API says where it is published (meta.publicUrl): beside the console, port 4000. */
function guessEndpoint(): string {
  if (typeof window === 'undefined') return 'http://127.0.0.1:4000';
  return `${window.location.protocol}//${window.location.hostname}:4000`;
}

function sdkSnippet(region: string, endpoint: string): string {
  return `import { CognitoSyncClient } from '@aws-sdk/client-cognito-sync';

const client = new CognitoSyncClient({
  region: '${region}',
  endpoint: '${endpoint}',
  credentials: { accessKeyId, secretAccessKey },
});`;
}

export function AwsAccess({ settings }: { settings: PoolSettings }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const ids = useId();
  const identityPoolId = settings.identityPoolId;
  const region = identityPoolId.split(':')[0] ?? '';
  const input = { identityPoolId };
  const keys = useQuery(trpc.admin.developerKey.list.queryOptions(input));
  const create = useMutation(trpc.admin.developerKey.create.mutationOptions());
  const revoke = useMutation(trpc.admin.developerKey.revoke.mutationOptions());
  const publicUrl = useQuery(trpc.meta.publicUrl.queryOptions());
  // The API's PUBLIC_URL unless the admin edits it (e.g. a different published hostname).
  const [editedEndpoint, setEndpoint] = useState<string | null>(null);
  const endpoint = editedEndpoint ?? publicUrl.data?.url ?? guessEndpoint();
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreateDeveloperKeyResponse | null>(null);
  const [revoking, setRevoking] = useState<DeveloperKey | null>(null);

  const active = keys.data?.keys.filter((key) => key.revokedAt === null).length ?? 0;
  const atLimit = active >= MAX_ACTIVE_DEVELOPER_KEYS;
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: trpc.admin.developerKey.list.queryKey(input) });

  const submit = async () => {
    const parsed = developerKeyNameSchema.safeParse(name);
    if (!parsed.success) {
      setNameError(
        name.trim() ? 'Up to 64 characters.' : 'Name the key after the app that will use it.',
      );
      return;
    }
    setNameError(null);
    try {
      const answer = await create.mutateAsync({ identityPoolId, name: parsed.data });
      setCreated(answer);
      setName('');
      await refresh();
    } catch (caught) {
      const explained = explainError(caught);
      if (explained.kind === 'InvalidParameterException') setNameError(explained.message);
    }
  };

  const confirmRevoke = async () => {
    if (!revoking) return;
    try {
      await revoke.mutateAsync({ identityPoolId, accessKeyId: revoking.accessKeyId });
      if (created?.key.accessKeyId === revoking.accessKeyId) setCreated(null);
      setRevoking(null);
      await refresh();
      toast.show({
        title: 'Key revoked',
        message: `Requests signed with ${revoking.accessKeyId} are refused from now on.`,
      });
    } catch {
      // shown in the dialog
    }
  };

  const endpointId = `${ids}-endpoint`;
  const nameId = `${ids}-name`;
  const snippet = sdkSnippet(region, endpoint.trim() || guessEndpoint());

  return (
    <>
      <SettingsSection
        id="aws"
        title="AWS SDK access"
        badge={
          keys.data ? (
            <span className={`badge${active ? ' badge-success' : ''}`} data-testid="aws-key-count">
              {active
                ? plural(active, 'active key')
                : keys.data.keys.length
                  ? 'No active keys'
                  : 'No keys'}
            </span>
          ) : null
        }
        description="Apps built on the AWS SDKs keep their Cognito Sync client and point it at this server instead of AWS. Server-side apps sign their requests with a developer key of this pool and may act on any of its identities."
      >
        <div className="form-row">
          <div className="field">
            <span className="label" id={`${ids}-region`}>
              Region
            </span>
            <div className="key-row">
              <input
                className="input"
                readOnly
                value={region}
                aria-labelledby={`${ids}-region`}
                data-testid="aws-region"
              />
              <CopyButton text={region} />
            </div>
            <p className="hint">The prefix of the pool’s ID.</p>
          </div>
          <div className="field">
            <label htmlFor={endpointId}>Endpoint</label>
            <div className="key-row">
              <input
                id={endpointId}
                className="input"
                value={endpoint}
                onChange={(event) => setEndpoint(event.target.value)}
                aria-describedby={`${endpointId}-hint`}
                data-testid="aws-endpoint"
                spellCheck={false}
              />
              <CopyButton text={endpoint.trim()} />
            </div>
            <p className="hint" id={`${endpointId}-hint`}>
              The URL apps reach the Tandem API at, as the API reports it (its{' '}
              <code>PUBLIC_URL</code>, else the address it listens on). Edit it here to see the
              snippet for another published address.
            </p>
          </div>
        </div>
        <div className="field">
          <span className="label" id={`${ids}-snippet`}>
            Client configuration
          </span>
          <pre
            className="json-preview"
            aria-labelledby={`${ids}-snippet`}
            data-testid="aws-sdk-snippet"
          >
            {snippet}
          </pre>
          <div className="actions">
            <CopyButton text={snippet} label="Copy snippet" />
          </div>
          <p className="hint">
            For <code>@aws-sdk/client-cognito-sync</code>; the other AWS SDKs take the same region,
            endpoint and credentials.
          </p>
        </div>

        {created ? (
          <div className="notice notice-warning" role="status" data-testid="aws-new-secret">
            <strong>Copy the secret access key now: it will not be shown again</strong>
            <p>
              Store it where the app keeps its secrets. If it is lost, revoke the key and create
              another.
            </p>
            <div className="field">
              <span className="label" id={`${ids}-new-id`}>
                Access key ID
              </span>
              <div className="key-row">
                <input
                  className="input"
                  readOnly
                  value={created.key.accessKeyId}
                  aria-labelledby={`${ids}-new-id`}
                  data-testid="aws-new-access-key-id"
                />
                <CopyButton text={created.key.accessKeyId} />
              </div>
            </div>
            <div className="field">
              <span className="label" id={`${ids}-new-secret`}>
                Secret access key
              </span>
              <div className="key-row">
                <input
                  className="input"
                  readOnly
                  value={created.secretAccessKey}
                  aria-labelledby={`${ids}-new-secret`}
                  data-testid="aws-new-secret-access-key"
                  spellCheck={false}
                />
                <CopyButton text={created.secretAccessKey} />
              </div>
            </div>
            <div className="actions">
              <Button size="sm" onClick={() => setCreated(null)}>
                I have copied it
              </Button>
            </div>
          </div>
        ) : null}

        <form
          className="field"
          onSubmit={(event) => {
            event.preventDefault();
            void submit();
          }}
          noValidate
        >
          <label htmlFor={nameId}>New developer key</label>
          <div className="search-bar">
            <input
              id={nameId}
              className="input"
              value={name}
              placeholder="Name, e.g. Backend server"
              maxLength={80}
              aria-invalid={nameError ? true : undefined}
              aria-describedby={`${nameId}-hint${nameError ? ` ${nameId}-error` : ''}`}
              onChange={(event) => {
                setName(event.target.value);
                setNameError(null);
              }}
            />
            <Button type="submit" variant="primary" busy={create.isPending} disabled={atLimit}>
              Create key
            </Button>
          </div>
          <p className="hint" id={`${nameId}-hint`}>
            {atLimit
              ? `This pool has ${MAX_ACTIVE_DEVELOPER_KEYS} active keys, the most it may have: revoke one to create another.`
              : `Up to ${MAX_ACTIVE_DEVELOPER_KEYS} active keys per pool. Each key may act on any identity of this pool, and skips the sync trigger.`}
          </p>
          {nameError ? (
            <p className="error" id={`${nameId}-error`} role="alert">
              {nameError}
            </p>
          ) : null}
        </form>
        {create.error && !nameError ? (
          <ErrorNotice
            error={create.error}
            {...(explainError(create.error).kind === 'LimitExceededException'
              ? { advice: 'Revoke a key no app uses any more, then create the new one.' }
              : {})}
          />
        ) : null}

        {keys.isPending ? (
          <Loading label="Loading developer keys…" />
        ) : keys.isError ? (
          <ErrorNotice error={keys.error} onRetry={() => void keys.refetch()} />
        ) : keys.data.keys.length === 0 ? (
          <p className="hint" data-testid="aws-no-keys">
            No developer keys yet.
          </p>
        ) : (
          <div
            className="table-wrap"
            style={{ border: '1px solid var(--border)', borderRadius: 'var(--radius-sm)' }}
          >
            <table className="table" data-testid="aws-keys-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Access key ID</th>
                  <th scope="col" className="hide-phone">
                    Created
                  </th>
                  <th scope="col" className="hide-phone">
                    Last used
                  </th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {keys.data.keys.map((key) => (
                  <tr key={key.accessKeyId} data-testid="aws-key-row" data-key={key.accessKeyId}>
                    <td>{key.name}</td>
                    <td className="id-text">{key.accessKeyId}</td>
                    <td className="hide-phone">
                      <span className="nowrap">{formatDate(key.createdAt)}</span>
                      {key.createdBy ? (
                        <>
                          <br />
                          <small className="hint">by {key.createdBy}</small>
                        </>
                      ) : null}
                    </td>
                    <td className="hide-phone nowrap">
                      {key.lastUsedAt ? formatDate(key.lastUsedAt) : 'Never'}
                    </td>
                    <td className="nowrap">
                      {key.revokedAt === null ? (
                        <span className="badge badge-success">Active</span>
                      ) : (
                        <span className="badge" title={`Revoked ${formatDate(key.revokedAt)}`}>
                          Revoked
                        </span>
                      )}
                    </td>
                    <td>
                      <div className="row-actions">
                        {key.revokedAt === null ? (
                          <Button
                            size="sm"
                            variant="danger-outline"
                            onClick={() => {
                              revoke.reset();
                              setRevoking(key);
                            }}
                          >
                            Revoke…
                          </Button>
                        ) : null}
                      </div>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </SettingsSection>

      <Dialog
        open={revoking !== null}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        onClose={() => setRevoking(null)}
        onSubmit={() => void confirmRevoke()}
        testId="revoke-key-dialog"
        footer={
          <>
            <Button onClick={() => setRevoking(null)} autoFocus>
              Cancel
            </Button>
            <Button type="submit" variant="danger" busy={revoke.isPending}>
              Revoke key
            </Button>
          </>
        }
      >
        <div className="notice notice-warning">
          <strong>Apps using this key stop working at once</strong>
          <p>
            Requests signed with <code>{revoking?.accessKeyId}</code> are refused from the next one
            on. A revoked key cannot be restored: give the apps a new key.
          </p>
        </div>
        {revoke.error ? <ErrorNotice error={revoke.error} /> : null}
      </Dialog>
    </>
  );
}
