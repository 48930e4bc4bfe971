'use client';
/**
 * Sync trigger (Cognito Events' SyncTrigger): runs before each device sync is written and may
 * change the records. A webhook gets the event by POST; a function is JavaScript the worker
 * runs isolated. The server compiles the function when it is saved and reports syntax errors,
 * shown here next to the source. Webhook requests are signed with the pool's signing secret,
 * shown with the URL so the receiver can be set up to verify them.
 */
import { useMutation, useQuery } from '@tanstack/react-query';
import { syncTriggerSettingsSchema } from '@tandem/sync-protocol';
import { useState } from 'react';
import { Button } from '../button';
import { CopyButton } from '../copy-button';
import { Field } from '../field';
import { useToast } from '../toast';
import { explainError } from '../../lib/errors';
import { useTRPC } from '../../lib/trpc';
import { issuesByPath } from '../../lib/zod-issues';
import { EnabledBadge, SettingsSection } from './section';
import { useSettingsSaved, type PoolSettings } from './use-save-settings';

const TEMPLATE = `export default async function (event) {
  // event.datasetRecords holds every record of the dataset being synced:
  //   { [key]: { oldValue, newValue, op: 'replace' | 'remove' } }
  // Change newValue or op here; what you return is written. Only datasetRecords may change.
  return event;
}
`;

type Kind = 'webhook' | 'function';

export function SyncTriggerSettings({ settings }: { settings: PoolSettings }) {
  const trpc = useTRPC();
  const toast = useToast();
  const saved = useSettingsSaved(settings.identityPoolId);
  const current = settings.syncTrigger;
  const [kind, setKind] = useState<Kind>(current?.target.kind ?? 'function');
  const [enabled, setEnabled] = useState(current?.enabled ?? true);
  const [url, setUrl] = useState(current?.target.kind === 'webhook' ? current.target.url : '');
  const [source, setSource] = useState(
    current?.target.kind === 'function' ? current.target.source : TEMPLATE,
  );
  const [error, setError] = useState<string | null>(null);
  const save = useMutation(trpc.admin.identityPool.setSyncTrigger.mutationOptions());
  const signing = useQuery({
    ...trpc.admin.identityPool.syncTriggerSigningSecret.queryOptions({
      identityPoolId: settings.identityPoolId,
    }),
    enabled: kind === 'webhook',
  });

  const submit = async () => {
    const target = kind === 'webhook' ? { kind, url: url.trim() } : { kind, source };
    const parsed = syncTriggerSettingsSchema.safeParse({ enabled, target });
    if (!parsed.success) {
      const issues = issuesByPath(parsed.error);
      setError(
        issues['target.url'] ??
          (issues['target.source']
            ? 'Write the function’s source.'
            : (Object.values(issues)[0] ?? null)),
      );
      return;
    }
    setError(null);
    try {
      const next = await save.mutateAsync({
        identityPoolId: settings.identityPoolId,
        syncTrigger: parsed.data,
      });
      await saved(next);
      toast.show({ tone: 'success', title: 'Sync trigger saved' });
    } catch (caught) {
      setError(explainError(caught).message);
    }
  };

  const remove = async () => {
    try {
      const next = await save.mutateAsync({
        identityPoolId: settings.identityPoolId,
        syncTrigger: null,
      });
      await saved(next);
      setError(null);
      toast.show({ title: 'Sync trigger removed' });
    } catch (caught) {
      setError(explainError(caught).message);
    }
  };

  return (
    <SettingsSection
      onSubmit={submit}
      id="trigger"
      title="Sync trigger"
      badge={<EnabledBadge enabled={current?.enabled ?? null} noneLabel="None" />}
      description="Runs before each device sync is written, and may change or refuse it (5 s budget). Console changes skip it."
      footer={
        <>
          {current ? (
            <Button
              variant="danger-outline"
              onClick={() => void remove()}
              disabled={save.isPending}
            >
              Remove trigger
            </Button>
          ) : null}
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save sync trigger
          </Button>
        </>
      }
    >
      <label className="check">
        <input
          type="checkbox"
          checked={enabled}
          onChange={(event) => setEnabled(event.target.checked)}
        />
        <span className="check-text">
          <span>Enabled</span>
          <small>When disabled, syncs are written without running the trigger.</small>
        </span>
      </label>
      <fieldset>
        <legend>Run</legend>
        <div className="radios">
          <label className="check">
            <input
              type="radio"
              name="trigger-kind"
              checked={kind === 'function'}
              onChange={() => {
                setKind('function');
                setError(null);
              }}
            />
            <span>A JavaScript function</span>
          </label>
          <label className="check">
            <input
              type="radio"
              name="trigger-kind"
              checked={kind === 'webhook'}
              onChange={() => {
                setKind('webhook');
                setError(null);
              }}
            />
            <span>A webhook</span>
          </label>
        </div>
      </fieldset>
      {kind === 'webhook' ? (
        <Field
          label="Webhook URL"
          error={error}
          hint="Receives the event as a signed POST; its JSON answer replaces the records. https, or http on localhost."
        >
          <input
            className="input"
            type="url"
            value={url}
            placeholder="https://example.com/tandem/sync-trigger"
            onChange={(event) => {
              setUrl(event.target.value);
              setError(null);
            }}
            spellCheck={false}
          />
        </Field>
      ) : null}
      {kind === 'webhook' && signing.data ? (
        <div className="field">
          <span className="label" id="signing-secret-label">
            Signing secret
          </span>
          <div className="key-row">
            <input
              className="input"
              readOnly
              value={signing.data.signingSecret}
              aria-labelledby="signing-secret-label"
              data-testid="sync-trigger-signing-secret"
              spellCheck={false}
            />
            <CopyButton text={signing.data.signingSecret} />
          </div>
          <p className="hint">
            Each request carries <code>X-Tandem-Signature: t=…,v1=…</code>: check that{' '}
            <code>v1</code> is the hex HMAC-SHA256 of <code>{'`${t}.${body}`'}</code> with this
            secret and that <code>t</code> is recent (see docs/sync-triggers.md).
          </p>
        </div>
      ) : null}
      {kind === 'webhook' ? null : (
        <Field
          label="Function source"
          error={error}
          hint="A module with a default export. It is checked for syntax errors when you save."
        >
          <textarea
            className="textarea"
            rows={10}
            value={source}
            onChange={(event) => {
              setSource(event.target.value);
              setError(null);
            }}
            spellCheck={false}
          />
        </Field>
      )}
    </SettingsSection>
  );
}
