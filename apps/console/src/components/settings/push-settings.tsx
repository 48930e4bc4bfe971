'use client';
/**
 * Push synchronization: web push to the identity's other devices when its data changes. The
 * first enabling makes the pool's VAPID key pair; apps subscribe browsers with its public key.
 * Rotating makes a new pair, and every existing browser subscription must subscribe again.
 */
import { useMutation } from '@tanstack/react-query';
import { pushNotificationSettingsSchema } from '@tandem/sync-protocol';
import { useState } from 'react';
import { Button } from '../button';
import { CopyButton } from '../copy-button';
import { Dialog } from '../dialog';
import { Field } from '../field';
import { ErrorNotice } from '../states';
import { useToast } from '../toast';
import { fieldErrorsOf } from '../../lib/errors';
import { formatDate } from '../../lib/format';
import { useTRPC } from '../../lib/trpc';
import { issuesByPath } from '../../lib/zod-issues';
import { EnabledBadge, SettingsSection } from './section';
import { useSettingsSaved, type PoolSettings } from './use-save-settings';

export function PushSettings({ settings }: { settings: PoolSettings }) {
  const trpc = useTRPC();
  const toast = useToast();
  const saved = useSettingsSaved(settings.identityPoolId);
  const { push } = settings;
  const [enabled, setEnabled] = useState(push.enabled);
  const [show, setShow] = useState(push.notification.show);
  const [title, setTitle] = useState(push.notification.title);
  const [body, setBody] = useState(push.notification.body);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [confirmRotate, setConfirmRotate] = useState(false);
  const save = useMutation(trpc.admin.identityPool.setPush.mutationOptions());
  const rotate = useMutation(trpc.admin.identityPool.rotateVapidKey.mutationOptions());
  const dirty =
    enabled !== push.enabled ||
    show !== push.notification.show ||
    title !== push.notification.title ||
    body !== push.notification.body;

  const submit = async () => {
    const notification = pushNotificationSettingsSchema.safeParse({ show, title, body });
    if (!notification.success) {
      setErrors(issuesByPath(notification.error));
      return;
    }
    setErrors({});
    try {
      const next = await save.mutateAsync({
        identityPoolId: settings.identityPoolId,
        enabled,
        notification: notification.data,
      });
      await saved(next);
      toast.show({
        tone: 'success',
        title: enabled ? 'Push synchronization is on' : 'Push synchronization is off',
      });
    } catch {
      // shown below
    }
  };

  const rotateKey = async () => {
    try {
      const next = await rotate.mutateAsync({ identityPoolId: settings.identityPoolId });
      await saved(next);
      setConfirmRotate(false);
      toast.show({
        tone: 'success',
        title: 'New VAPID key pair',
        message: 'Browsers must subscribe again with the new public key.',
      });
    } catch {
      // shown in the dialog
    }
  };

  const serverErrors = save.error ? fieldErrorsOf(save.error) : {};
  const errorOf = (field: string) => errors[field] ?? serverErrors[`notification.${field}`];

  return (
    <>
      <SettingsSection
        onSubmit={submit}
        id="push"
        title="Push synchronization"
        badge={<EnabledBadge enabled={push.enabled} onLabel="On" offLabel="Off" />}
        description="When an identity’s data changes, its other devices get a web push and sync at once."
        footer={
          <Button type="submit" variant="primary" busy={save.isPending} disabled={!dirty}>
            Save push settings
          </Button>
        }
      >
        <label className="check">
          <input
            type="checkbox"
            checked={enabled}
            onChange={(event) => setEnabled(event.target.checked)}
          />
          <span className="check-text">
            <span>Enable push synchronization</span>
            <small>The first time, this creates the pool’s VAPID key pair.</small>
          </span>
        </label>

        {push.vapidPublicKey ? (
          <div className="field">
            <span className="label" id="vapid-label">
              VAPID public key
            </span>
            <div className="key-row">
              <input
                className="input"
                readOnly
                value={push.vapidPublicKey}
                aria-labelledby="vapid-label"
                data-testid="vapid-public-key"
              />
              <CopyButton text={push.vapidPublicKey} />
            </div>
            <p className="hint">
              Apps pass it as <code>applicationServerKey</code> when they subscribe a browser.
              Created {formatDate(push.vapidKeyCreatedAt)}.
              {push.previousVapidPublicKey
                ? ' Subscriptions made with the previous key must re-subscribe.'
                : ''}
            </p>
            <div className="actions">
              <Button size="sm" variant="danger-outline" onClick={() => setConfirmRotate(true)}>
                Rotate key…
              </Button>
            </div>
          </div>
        ) : (
          <p className="hint">
            No VAPID key yet: enable push synchronization and save to create one.
          </p>
        )}

        <fieldset className="form">
          <legend>Notification shown when no tab of the app is open</legend>
          <label className="check">
            <input
              type="checkbox"
              checked={show}
              onChange={(event) => setShow(event.target.checked)}
            />
            <span className="check-text">
              <span>Show a notification</span>
              <small>Browsers require a visible notification for most pushes.</small>
            </span>
          </label>
          <div className="form-row">
            <Field label="Title" error={errorOf('title')} hint="Up to 60 characters.">
              <input
                className="input"
                value={title}
                onChange={(event) => {
                  setTitle(event.target.value);
                  setErrors((current) => ({ ...current, title: '' }));
                }}
              />
            </Field>
            <Field label="Text" error={errorOf('body')} hint="Up to 160 characters.">
              <input
                className="input"
                value={body}
                onChange={(event) => {
                  setBody(event.target.value);
                  setErrors((current) => ({ ...current, body: '' }));
                }}
              />
            </Field>
          </div>
        </fieldset>
        {save.error && Object.keys(serverErrors).length === 0 ? (
          <ErrorNotice error={save.error} />
        ) : null}
      </SettingsSection>

      <Dialog
        open={confirmRotate}
        title="Rotate the VAPID key?"
        onClose={() => {
          rotate.reset();
          setConfirmRotate(false);
        }}
        onSubmit={() => void rotateKey()}
        testId="rotate-dialog"
        footer={
          <>
            <Button
              onClick={() => {
                rotate.reset();
                setConfirmRotate(false);
              }}
              autoFocus
            >
              Cancel
            </Button>
            <Button type="submit" variant="danger" busy={rotate.isPending}>
              Rotate key
            </Button>
          </>
        }
      >
        <div className="notice notice-warning">
          <strong>Every existing browser subscription stops working</strong>
          <p>
            Browsers subscribed with the current public key get no more pushes until the app
            subscribes them again with the new key. Devices still sync when they open the app.
          </p>
        </div>
        {rotate.error ? <ErrorNotice error={rotate.error} /> : null}
      </Dialog>
    </>
  );
}
