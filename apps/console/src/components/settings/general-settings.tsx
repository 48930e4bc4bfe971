'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { identityPoolNameSchema } from '@tandem/sync-protocol';
import { useState } from 'react';
import { Button } from '../button';
import { Field } from '../field';
import { ErrorNotice } from '../states';
import { useToast } from '../toast';
import { fieldErrorsOf } from '../../lib/errors';
import { useTRPC } from '../../lib/trpc';
import { SettingsSection } from './section';
import type { PoolSettings } from './use-save-settings';

export function GeneralSettings({ settings }: { settings: PoolSettings }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState(settings.name);
  const [allowGuests, setAllowGuests] = useState(settings.allowUnauthenticated);
  const [nameError, setNameError] = useState<string | null>(null);
  const save = useMutation(trpc.admin.identityPool.update.mutationOptions());
  const dirty = name !== settings.name || allowGuests !== settings.allowUnauthenticated;

  const submit = async () => {
    if (!identityPoolNameSchema.safeParse(name).success) {
      setNameError(name.trim() ? 'Use at most 128 characters.' : 'Enter a name.');
      return;
    }
    try {
      await save.mutateAsync({
        identityPoolId: settings.identityPoolId,
        name: name.trim(),
        allowUnauthenticated: allowGuests,
      });
      await queryClient.invalidateQueries({ queryKey: trpc.admin.identityPool.pathKey() });
      toast.show({ tone: 'success', title: 'Pool saved' });
    } catch {
      // shown below
    }
  };
  const serverErrors = save.error ? fieldErrorsOf(save.error) : {};

  return (
    <SettingsSection
      onSubmit={submit}
      id="general"
      title="Identity pool"
      description="The pool’s name, and whether apps may sync for guests."
      footer={
        <Button type="submit" variant="primary" busy={save.isPending} disabled={!dirty}>
          Save
        </Button>
      }
    >
      <Field label="Name" error={nameError ?? serverErrors.name}>
        <input
          className="input"
          value={name}
          maxLength={128}
          onChange={(event) => {
            setName(event.target.value);
            setNameError(null);
          }}
        />
      </Field>
      <label className="check">
        <input
          type="checkbox"
          checked={allowGuests}
          onChange={(event) => setAllowGuests(event.target.checked)}
        />
        <span className="check-text">
          <span>Allow guests (unauthenticated identities)</span>
          <small>
            Turning this off stops new guest identities; existing guests keep their data.
          </small>
        </span>
      </label>
      {save.error && Object.keys(serverErrors).length === 0 ? (
        <ErrorNotice error={save.error} />
      ) : null}
    </SettingsSection>
  );
}
