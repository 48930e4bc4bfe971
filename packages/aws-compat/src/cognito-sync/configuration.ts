/**
 * Pool-level operations (developer credentials only): configuration, events, bulk publish.
 *
 * Tandem runs streams, push and sync triggers itself, so the AWS resources these operations
 * name are mapped, not used:
 * - CognitoStreams: StreamingStatus turns the pool's stream export on or off. A pool without a
 *   sink gets the built-in one (the `stream_record` table); an existing Kinesis sink takes the
 *   StreamName. The StreamName and RoleArn given are kept and returned as given.
 * - PushSync: SNS application ARNs and the role are kept and returned; Tandem delivers web push
 *   itself (configured in the console), so they change nothing.
 * - Events: `SyncTrigger` set to an `https://` URL configures that URL as the pool's webhook
 *   sync trigger. A Lambda ARN is kept and returned but cannot be invoked from here: the
 *   migration guide says to move the function to a webhook or a console function.
 */
import type { ApiDeps } from '@tandem/api-router';
import { getAwsPoolLabels, setAwsPoolLabels, type AwsPoolLabels } from '@tandem/db';
import { validationMessage } from '@tandem/domain';
import type { BulkPublishDetails } from '@tandem/sync-protocol';
import { AwsError } from '../errors.js';
import type { Caller } from './caller.js';
import type { OperationResult } from './handler.js';
import { seconds } from './wire.js';

export interface ConfigurationContext {
  identityPoolId: string;
  caller: Caller;
  api: ApiDeps;
  body(): Record<string, unknown>;
  call<T>(input: unknown, run: () => Promise<T>): Promise<T>;
}

const ROLE_ARN = /^arn:aws:iam::\d+:role\/.*$/;
const APPLICATION_ARN = /^arn:aws:sns:[-0-9a-z]+:\d+:app\/[A-Z_]+\/[a-zA-Z0-9_.-]+$/;

type Failure = { path: string; value: unknown; constraint: string };
const invalid = (failures: Failure[]) =>
  new AwsError('InvalidParameterException', 400, validationMessage(failures));

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function checkRoleArn(value: unknown, path: string, failures: Failure[]): string | null {
  if (value === undefined || value === null) return null;
  if (
    typeof value !== 'string' ||
    value.length < 20 ||
    value.length > 2048 ||
    !ROLE_ARN.test(value)
  ) {
    failures.push({
      path,
      value,
      constraint: 'Member must satisfy regular expression pattern: arn:aws:iam::\\d+:role/.*',
    });
    return null;
  }
  return value;
}

const bulkPublishDetails = (details: BulkPublishDetails) => ({
  IdentityPoolId: details.identityPoolId,
  BulkPublishStartTime: seconds(details.startedAt),
  BulkPublishCompleteTime: seconds(details.completedAt),
  BulkPublishStatus: details.status,
  FailureMessage: details.failureMessage,
});

async function configurationOf(o: ConfigurationContext): Promise<OperationResult> {
  const { identityPoolId } = o;
  const [settings, { labels }] = await Promise.all([
    o.call({ identityPoolId }, () => o.caller.admin.identityPool.settings({ identityPoolId })),
    getAwsPoolLabels(o.api.database.db, identityPoolId),
  ]);
  const result: Record<string, unknown> = { IdentityPoolId: identityPoolId };
  if (labels.pushSync) {
    result['PushSync'] = {
      ApplicationArns: labels.pushSync.applicationArns,
      RoleArn: labels.pushSync.roleArn,
    };
  }
  if (settings.streams) {
    const sink = settings.streams.sink;
    result['CognitoStreams'] = {
      StreamName:
        labels.cognitoStreams?.streamName ?? (sink.kind === 'kinesis' ? sink.streamName : null),
      RoleArn: labels.cognitoStreams?.roleArn ?? null,
      StreamingStatus: settings.streams.enabled ? 'ENABLED' : 'DISABLED',
    };
  }
  return result;
}

/** Keeps the new labels, or fails with ConcurrentModificationException if someone was faster. */
async function saveLabels(o: ConfigurationContext, expectedVersion: number, labels: AwsPoolLabels) {
  const saved = await setAwsPoolLabels(o.api.database.db, {
    identityPoolId: o.identityPoolId,
    expectedVersion,
    labels,
  });
  if (!saved) {
    throw new AwsError(
      'ConcurrentModificationException',
      400,
      'The identity pool configuration was modified by another request; read it and try again.',
    );
  }
}

export const configurationOperations = {
  GetIdentityPoolConfiguration: configurationOf,

  async SetIdentityPoolConfiguration(o: ConfigurationContext): Promise<OperationResult> {
    const body = o.body();
    const { identityPoolId } = o;
    const failures: Failure[] = [];
    const pushSync = body['PushSync'];
    const streams = body['CognitoStreams'];
    let newPush: AwsPoolLabels['pushSync'] | null | undefined;
    if (pushSync !== undefined && pushSync !== null) {
      if (!isObject(pushSync))
        failures.push({
          path: 'pushSync',
          value: pushSync,
          constraint: 'Member must be an object',
        });
      else if (Object.keys(pushSync).length === 0)
        newPush = null; // {} clears it
      else {
        const arns = pushSync['ApplicationArns'] ?? [];
        if (
          !Array.isArray(arns) ||
          arns.some((arn) => typeof arn !== 'string' || !APPLICATION_ARN.test(arn))
        ) {
          failures.push({
            path: 'pushSync.applicationArns',
            value: JSON.stringify(arns),
            constraint:
              'Member must satisfy regular expression pattern: arn:aws:sns:[-0-9a-z]+:\\d+:app/[A-Z_]+/[a-zA-Z0-9_.-]+',
          });
        }
        const roleArn = checkRoleArn(pushSync['RoleArn'], 'pushSync.roleArn', failures);
        newPush = { applicationArns: Array.isArray(arns) ? (arns as string[]) : [], roleArn };
      }
    }
    let newStreams:
      | { streamName: string | null; roleArn: string | null; enabled: boolean | null }
      | null
      | undefined;
    if (streams !== undefined && streams !== null) {
      if (!isObject(streams))
        failures.push({
          path: 'cognitoStreams',
          value: streams,
          constraint: 'Member must be an object',
        });
      else if (Object.keys(streams).length === 0) newStreams = null;
      else {
        const name = streams['StreamName'];
        if (
          name !== undefined &&
          name !== null &&
          (typeof name !== 'string' || name.length < 1 || name.length > 128)
        ) {
          failures.push({
            path: 'cognitoStreams.streamName',
            value: name,
            constraint: 'Member must have length between 1 and 128',
          });
        }
        const status = streams['StreamingStatus'];
        if (
          status !== undefined &&
          status !== null &&
          status !== 'ENABLED' &&
          status !== 'DISABLED'
        ) {
          failures.push({
            path: 'cognitoStreams.streamingStatus',
            value: status,
            constraint: 'Member must satisfy enum value set: [ENABLED, DISABLED]',
          });
        }
        newStreams = {
          streamName: typeof name === 'string' ? name : null,
          roleArn: checkRoleArn(streams['RoleArn'], 'cognitoStreams.roleArn', failures),
          enabled: status === 'ENABLED' ? true : status === 'DISABLED' ? false : null,
        };
      }
    }
    if (failures.length) throw invalid(failures);

    const { labels, configVersion } = await getAwsPoolLabels(o.api.database.db, identityPoolId);
    const next: AwsPoolLabels = { ...labels };
    if (newPush === null) delete next.pushSync;
    else if (newPush) next.pushSync = newPush;
    if (newStreams === null) delete next.cognitoStreams;
    else if (newStreams)
      next.cognitoStreams = { streamName: newStreams.streamName, roleArn: newStreams.roleArn };
    await saveLabels(o, configVersion, next);

    if (newStreams !== undefined) {
      const settings = await o.call({ identityPoolId }, () =>
        o.caller.admin.identityPool.settings({ identityPoolId }),
      );
      const current = settings.streams;
      let streamsInput: Parameters<Caller['admin']['identityPool']['setStreams']>[0]['streams'];
      if (newStreams === null) streamsInput = null;
      else {
        const sink =
          current?.sink.kind === 'kinesis' && newStreams.streamName
            ? { ...current.sink, streamName: newStreams.streamName }
            : (current?.sink ?? { kind: 'postgres' as const, retentionDays: 7 });
        streamsInput = { enabled: newStreams.enabled ?? current?.enabled ?? true, sink };
      }
      const input = { identityPoolId, streams: streamsInput };
      await o.call(input, () => o.caller.admin.identityPool.setStreams(input));
    }
    return configurationOf(o);
  },

  async GetCognitoEvents(o: ConfigurationContext): Promise<OperationResult> {
    const { labels } = await getAwsPoolLabels(o.api.database.db, o.identityPoolId);
    return { Events: labels.events ?? {} };
  },

  async SetCognitoEvents(o: ConfigurationContext): Promise<OperationResult> {
    const events = o.body()['Events'];
    if (!isObject(events)) {
      throw invalid([
        { path: 'events', value: events ?? null, constraint: 'Member must not be null' },
      ]);
    }
    const failures: Failure[] = [];
    for (const [type, target] of Object.entries(events)) {
      if (type !== 'SyncTrigger') {
        failures.push({
          path: `events.${type}`,
          value: type,
          constraint: 'The only event type is SyncTrigger',
        });
      }
      if (typeof target !== 'string') {
        failures.push({
          path: `events.${type}`,
          value: target,
          constraint: 'Member must be a string',
        });
      }
    }
    if (failures.length) throw invalid(failures);
    const { identityPoolId } = o;
    const { labels, configVersion } = await getAwsPoolLabels(o.api.database.db, identityPoolId);
    const previous = labels.events?.['SyncTrigger'];
    const next: Record<string, string> = { ...labels.events };
    const target = (events as Record<string, string>)['SyncTrigger'];
    if (target !== undefined) {
      // Merge semantics: only the keys given change; an empty string removes the event.
      if (target === '') delete next['SyncTrigger'];
      else next['SyncTrigger'] = target;
    }
    await saveLabels(o, configVersion, { ...labels, events: next });

    const isUrl = (value: string | undefined) => value !== undefined && /^https?:\/\//i.test(value);
    if (target !== undefined && (isUrl(target) || isUrl(previous))) {
      const input = {
        identityPoolId,
        syncTrigger: isUrl(target)
          ? { enabled: true, target: { kind: 'webhook' as const, url: target } }
          : null,
      };
      await o.call(input, () => o.caller.admin.identityPool.setSyncTrigger(input));
    }
    return null;
  },

  async BulkPublish(o: ConfigurationContext): Promise<OperationResult> {
    const { identityPoolId } = o;
    await o.call({ identityPoolId }, () =>
      o.caller.admin.identityPool.bulkPublish({ identityPoolId }),
    );
    return { IdentityPoolId: identityPoolId };
  },

  async GetBulkPublishDetails(o: ConfigurationContext): Promise<OperationResult> {
    const { identityPoolId } = o;
    const details = await o.call({ identityPoolId }, () =>
      o.caller.admin.identityPool.bulkPublishDetails({ identityPoolId }),
    );
    return bulkPublishDetails(details);
  },
} satisfies Record<string, (o: ConfigurationContext) => Promise<OperationResult>>;
