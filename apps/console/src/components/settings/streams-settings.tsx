'use client';
/**
 * Streams (Cognito Streams): every committed change of the pool goes to a sink. The form shows
 * the fields of the chosen sink kind, checks them with the server's schema before saving, and
 * shows the server's own refusals next to the same fields.
 */
import { useMutation } from '@tanstack/react-query';
import { streamsSettingsSchema, type StreamSink } from '@tandem/sync-protocol';
import { useState } from 'react';
import { Button } from '../button';
import { Field } from '../field';
import { ErrorNotice } from '../states';
import { useToast } from '../toast';
import { fieldErrorsOf } from '../../lib/errors';
import { formatCount, formatDate } from '../../lib/format';
import { useTRPC } from '../../lib/trpc';
import { issuesByPath } from '../../lib/zod-issues';
import { EnabledBadge, SettingsSection } from './section';
import { useSettingsSaved, type PoolSettings } from './use-save-settings';

type Kind = StreamSink['kind'];

const KINDS: { kind: Kind; label: string; help: string }[] = [
  {
    kind: 'postgres',
    label: 'PostgreSQL (built in)',
    help: 'A table in Tandem’s own database, read through the admin API. Nothing else to run.',
  },
  {
    kind: 'nats',
    label: 'NATS JetStream',
    help: 'A JetStream stream; records go to subjects under a prefix.',
  },
  { kind: 'redis', label: 'Redis Streams', help: 'XADD to a Redis stream key.' },
  {
    kind: 'kinesis',
    label: 'Amazon Kinesis',
    help: 'The Cognito Streams format, to a Kinesis data stream.',
  },
];

/** Every field of every kind, as text, so switching kinds keeps what was typed. */
interface Draft {
  retentionDays: string;
  host: string;
  port: string;
  stream: string;
  subjectPrefix: string;
  redisStream: string;
  streamName: string;
  region: string;
  endpoint: string;
}

function draftOf(sink: StreamSink | null): Draft {
  const draft: Draft = {
    retentionDays: '7',
    host: '',
    port: '',
    stream: 'tandem',
    subjectPrefix: 'tandem.changes',
    redisStream: 'tandem:changes',
    streamName: '',
    region: 'us-east-1',
    endpoint: '',
  };
  if (!sink) return draft;
  switch (sink.kind) {
    case 'postgres':
      return { ...draft, retentionDays: String(sink.retentionDays) };
    case 'nats':
      return {
        ...draft,
        host: sink.host,
        port: String(sink.port),
        stream: sink.stream,
        subjectPrefix: sink.subjectPrefix,
      };
    case 'redis':
      return { ...draft, host: sink.host, port: String(sink.port), redisStream: sink.stream };
    case 'kinesis':
      return {
        ...draft,
        streamName: sink.streamName,
        region: sink.region,
        endpoint: sink.endpoint ?? '',
      };
  }
}

const number = (text: string, fallback: number) => (text.trim() === '' ? fallback : Number(text));

function sinkOf(kind: Kind, draft: Draft): unknown {
  switch (kind) {
    case 'postgres':
      return { kind, retentionDays: number(draft.retentionDays, Number.NaN) };
    case 'nats':
      return {
        kind,
        host: draft.host,
        port: number(draft.port, 4222),
        stream: draft.stream,
        subjectPrefix: draft.subjectPrefix,
      };
    case 'redis':
      return { kind, host: draft.host, port: number(draft.port, 6379), stream: draft.redisStream };
    case 'kinesis':
      return {
        kind,
        streamName: draft.streamName,
        region: draft.region,
        ...(draft.endpoint.trim() ? { endpoint: draft.endpoint.trim() } : {}),
      };
  }
}

/** The form field each sink property is typed into. */
const FIELD_OF: Record<string, keyof Draft> = {
  retentionDays: 'retentionDays',
  host: 'host',
  port: 'port',
  subjectPrefix: 'subjectPrefix',
  streamName: 'streamName',
  region: 'region',
  endpoint: 'endpoint',
};

const HEALTH = {
  'not-running': {
    label: 'Not running',
    tone: '',
    help: 'No worker has picked up this pool’s stream yet.',
  },
  healthy: { label: 'Healthy', tone: 'badge-success', help: 'Changes are being delivered.' },
  failing: {
    label: 'Failing',
    tone: 'badge-danger',
    help: 'Delivery fails; changes wait and are retried.',
  },
  disabled: { label: 'Disabled', tone: '', help: 'The configuration is kept, nothing is sent.' },
} as const;

export function StreamsSettings({ settings }: { settings: PoolSettings }) {
  const trpc = useTRPC();
  const toast = useToast();
  const saved = useSettingsSaved(settings.identityPoolId);
  const configured = settings.streams;
  const [kind, setKind] = useState<Kind>(configured?.sink.kind ?? 'postgres');
  const [enabled, setEnabled] = useState(configured?.enabled ?? true);
  const [draft, setDraft] = useState<Draft>(() => draftOf(configured?.sink ?? null));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const save = useMutation(trpc.admin.identityPool.setStreams.mutationOptions());

  const set = (field: keyof Draft) => (value: string) => {
    setDraft((current) => ({ ...current, [field]: value }));
    setErrors((current) => ({ ...current, [field]: '' }));
  };

  /** A sink path ("sink.host") to the form field that shows its error. */
  const toFieldErrors = (byPath: Record<string, string>) => {
    const fields: Record<string, string> = {};
    for (const [path, message] of Object.entries(byPath)) {
      const property = path.replace(/^streams\./, '').replace(/^sink\./, '');
      const field =
        property === 'stream' ? (kind === 'redis' ? 'redisStream' : 'stream') : FIELD_OF[property];
      fields[field ?? '_form'] = message;
    }
    return fields;
  };

  const submit = async () => {
    const parsed = streamsSettingsSchema.safeParse({ enabled, sink: sinkOf(kind, draft) });
    if (!parsed.success) {
      setErrors(toFieldErrors(issuesByPath(parsed.error)));
      return;
    }
    setErrors({});
    try {
      const next = await save.mutateAsync({
        identityPoolId: settings.identityPoolId,
        streams: parsed.data,
      });
      await saved(next);
      toast.show({ tone: 'success', title: 'Streams saved' });
    } catch (error) {
      setErrors(toFieldErrors(fieldErrorsOf(error)));
    }
  };

  const removeConfiguration = async () => {
    try {
      const next = await save.mutateAsync({
        identityPoolId: settings.identityPoolId,
        streams: null,
      });
      await saved(next);
      setDraft(draftOf(null));
      toast.show({ title: 'Streams configuration removed' });
    } catch {
      // shown below
    }
  };

  const health = HEALTH[settings.streamsHealth.status];
  const unplacedServerError = save.error && Object.keys(fieldErrorsOf(save.error)).length === 0;
  const text = (field: keyof Draft, label: string, hint?: string, placeholder?: string) => (
    <Field label={label} error={errors[field]} hint={hint}>
      <input
        className="input"
        value={draft[field]}
        placeholder={placeholder}
        onChange={(event) => set(field)(event.target.value)}
        spellCheck={false}
        autoComplete="off"
      />
    </Field>
  );

  return (
    <SettingsSection
      onSubmit={submit}
      id="streams"
      title="Streams"
      badge={<EnabledBadge enabled={configured?.enabled ?? null} noneLabel="Not configured" />}
      description="Send every change of this pool’s datasets to a stream, as it is committed."
      footer={
        <>
          {configured ? (
            <Button
              variant="danger-outline"
              onClick={() => void removeConfiguration()}
              disabled={save.isPending}
            >
              Remove configuration
            </Button>
          ) : null}
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save streams
          </Button>
        </>
      }
    >
      {configured ? (
        <dl className="meta-list" data-testid="streams-health">
          <dt>Health</dt>
          <dd>
            <span className={`badge ${health.tone}`}>{health.label}</span>{' '}
            <span className="hint">{health.help}</span>
          </dd>
          <dt>Backlog</dt>
          <dd>
            {settings.streamsHealth.backlog === null
              ? 'Unknown'
              : `${formatCount(settings.streamsHealth.backlog)} changes waiting`}
          </dd>
          {settings.streamsHealth.lastError ? (
            <>
              <dt>Last error</dt>
              <dd className="field-error">{settings.streamsHealth.lastError}</dd>
            </>
          ) : null}
          <dt>Checked</dt>
          <dd>{formatDate(settings.streamsHealth.checkedAt)}</dd>
        </dl>
      ) : null}
      <label className="check">
        <input
          type="checkbox"
          checked={enabled}
          onChange={(event) => setEnabled(event.target.checked)}
        />
        <span className="check-text">
          <span>Enabled</span>
          <small>When disabled the configuration is kept and nothing is sent.</small>
        </span>
      </label>
      <Field label="Sink" hint={KINDS.find((entry) => entry.kind === kind)?.help}>
        <select
          className="select"
          value={kind}
          onChange={(event) => {
            setKind(event.target.value as Kind);
            setErrors({});
          }}
        >
          {KINDS.map((entry) => (
            <option key={entry.kind} value={entry.kind}>
              {entry.label}
            </option>
          ))}
        </select>
      </Field>
      {kind === 'postgres' ? (
        <div className="form-row">
          {text('retentionDays', 'Keep records for (days)', '1 to 365 days.')}
        </div>
      ) : null}
      {kind === 'nats' ? (
        <>
          <div className="form-row">
            {text('host', 'Host', 'Host name or IP address of a NATS server.', 'nats.internal')}
            {text('port', 'Port', 'Default 4222.', '4222')}
          </div>
          <div className="form-row">
            {text('stream', 'JetStream stream', 'Created if missing. Letters, digits, _ and -.')}
            {text('subjectPrefix', 'Subject prefix', 'Dot-separated, e.g. tandem.changes.')}
          </div>
        </>
      ) : null}
      {kind === 'redis' ? (
        <>
          <div className="form-row">
            {text('host', 'Host', 'Host name or IP address of a Redis server.', 'redis.internal')}
            {text('port', 'Port', 'Default 6379.', '6379')}
          </div>
          <div className="form-row">{text('redisStream', 'Stream key')}</div>
        </>
      ) : null}
      {kind === 'kinesis' ? (
        <>
          <div className="form-row">
            {text('streamName', 'Stream name', 'Letters, digits, _ . and -.')}
            {text('region', 'Region', 'An AWS region such as eu-west-1.')}
          </div>
          {text(
            'endpoint',
            'Endpoint (optional)',
            'Only for LocalStack, kinesalite or a VPC endpoint; empty for AWS.',
            'https://kinesis.eu-west-1.amazonaws.com',
          )}
        </>
      ) : null}
      {errors._form ? <p className="field-error">{errors._form}</p> : null}
      {unplacedServerError ? <ErrorNotice error={save.error} /> : null}
    </SettingsSection>
  );
}
