/**
 * The Cognito Sync REST binding (spec §1–§6). Each operation runs the tRPC API's own procedure
 * through a server-side caller, so the two surfaces share validation, limits, conflicts, the
 * sync trigger, the change log and its consumers, and can never disagree. This file only
 * routes, authenticates, authorizes and translates shapes.
 *
 * Who may call what (spec §3.2): identity credentials act on their own identity only, and are
 * the only ones that may register devices and subscribe; developer keys act on any identity of
 * their pool, own the pool-level operations, and write as an administrator would (no sync
 * trigger, as in Cognito).
 */
import { describeApiError, NoopPullCache, type ApiDeps, type Context } from '@tandem/api-router';
import type { SessionUser } from '@tandem/auth';
import { getIdentityInPool } from '@tandem/db';
import { validationMessage } from '@tandem/domain';
import {
  DEFAULT_MAX_RESULTS,
  maxResultsSchema,
  datasetNameSchema,
  deviceIdSchema,
  identityIdSchema,
  identityPoolIdSchema,
} from '@tandem/sync-protocol';
import type { z } from 'zod';
import { AwsError } from '../errors.js';
import { header, type AwsHttpRequest } from '../http.js';
import type { Principal, PrincipalResolver } from '../principal.js';
import { createCaller, type Caller } from './caller.js';
import { configurationOperations } from './configuration.js';
import { matchRoute, type CognitoSyncOperation, type Label, type RouteMatch } from './routes.js';
import {
  awsDataset,
  awsIdentityPoolUsage,
  awsIdentityUsage,
  awsListRecords,
  awsRecord,
  parseBody,
  parseQuery,
  type Query,
  queryNumber,
  queryString,
  recordPatches,
} from './wire.js';

export const COGNITO_SYNC_SERVICE = 'cognito-sync';

export interface CognitoSyncDeps {
  api: ApiDeps;
  principals: PrincipalResolver;
  /** Repeated no-op ListRecords of identities, answered from memory (see NoopPullCache). */
  noopPulls?: NoopPullCache;
}

/** A response body already serialized (a remembered no-op pull). */
export class SerializedBody {
  constructor(readonly text: string) {}
}

/** The JSON body of a successful answer (null: an empty body). */
export type OperationResult = Record<string, unknown> | SerializedBody | null;

const DEVELOPER_ONLY = new Set<CognitoSyncOperation>([
  'ListIdentityPoolUsage',
  'DescribeIdentityPoolUsage',
  'BulkPublish',
  'GetBulkPublishDetails',
  'GetCognitoEvents',
  'SetCognitoEvents',
  'GetIdentityPoolConfiguration',
  'SetIdentityPoolConfiguration',
]);
const IDENTITY_ONLY = new Set<CognitoSyncOperation>([
  'RegisterDevice',
  'SubscribeToDataset',
  'UnsubscribeFromDataset',
]);

const LABEL_SCHEMAS: Record<Label, z.ZodType> = {
  IdentityPoolId: identityPoolIdSchema,
  IdentityId: identityIdSchema,
  DatasetName: datasetNameSchema,
  DeviceId: deviceIdSchema,
};

const lowerFirst = (name: string) => name[0]!.toLowerCase() + name.slice(1);

/** Path labels are checked before authorization, so a malformed id reads as AWS says it. */
function validateLabels(labels: RouteMatch['labels']): void {
  const failures: Array<{ path: string; value: unknown; constraint: string }> = [];
  for (const [label, value] of Object.entries(labels) as Array<[Label, string]>) {
    const result = LABEL_SCHEMAS[label].safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) {
        failures.push({ path: lowerFirst(label), value, constraint: issue.message });
      }
    }
  }
  if (failures.length) {
    throw new AwsError('InvalidParameterException', 400, validationMessage(failures));
  }
}

const notAuthorized = (message: string) => new AwsError('NotAuthorizedException', 403, message);

function authorize(principal: Principal, route: RouteMatch): void {
  const { operation, labels } = route;
  if (principal.kind === 'identity' && DEVELOPER_ONLY.has(operation)) {
    throw notAuthorized(`${operation} needs developer credentials, not an identity's.`);
  }
  if (principal.kind === 'developer' && IDENTITY_ONLY.has(operation)) {
    throw notAuthorized(`${operation} needs an identity's credentials, not developer credentials.`);
  }
  if (labels.IdentityPoolId !== undefined && labels.IdentityPoolId !== principal.identityPoolId) {
    throw notAuthorized(
      `These credentials are not valid for identity pool ${labels.IdentityPoolId}.`,
    );
  }
  if (
    principal.kind === 'identity' &&
    labels.IdentityId !== undefined &&
    labels.IdentityId !== principal.identityId
  ) {
    throw notAuthorized(`These credentials are not valid for identity ${labels.IdentityId}.`);
  }
}

async function sessionUserOf(deps: ApiDeps, principal: Principal): Promise<SessionUser> {
  if (principal.kind === 'developer') {
    // Acts as an administrator of its pool only: authorize() pins every call to that pool.
    return {
      userId: `aws-developer-key:${principal.accessKeyId}`,
      email: `developer-key:${principal.accessKeyId}`,
      isAnonymous: false,
      isAdmin: true,
    };
  }
  const cached = deps.caches.identityOwners.get(principal.identityId);
  if (cached) return cached;
  let identity;
  try {
    identity = await getIdentityInPool(
      deps.database.db,
      principal.identityPoolId,
      principal.identityId,
    );
  } catch {
    throw notAuthorized('The identity of these credentials no longer exists.');
  }
  if (!identity.userId || identity.mergedInto) {
    throw notAuthorized(
      'The identity of these credentials was merged into another; get new credentials.',
    );
  }
  const user: SessionUser = {
    userId: identity.userId,
    email: '',
    isAnonymous: !identity.authenticated,
    isAdmin: false,
  };
  deps.caches.identityOwners.set(principal.identityId, user);
  return user;
}

/** Runs one procedure call; its failure becomes the Cognito error the tRPC API would send. */
async function call<T>(input: unknown, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof AwsError) throw error;
    const { kind, status, message } = describeApiError(error, input);
    throw new AwsError(kind, status, message);
  }
}

export function createCognitoSyncHandler(deps: CognitoSyncDeps) {
  return async function handle(request: AwsHttpRequest): Promise<OperationResult> {
    const route = matchRoute(request.method, request.rawPath);
    validateLabels(route.labels);
    const principal = await deps.principals.authenticate(request, COGNITO_SYNC_SERVICE);
    authorize(principal, route);
    // Most syncs find nothing new: the same credentials ask the same ListRecords again. Its
    // empty answer is kept (dropped at once by any change of the identity), after the
    // signature was checked as for any request.
    const noopKey =
      route.operation === 'ListRecords' &&
      principal.kind === 'identity' &&
      deps.noopPulls?.enabled &&
      !request.rawQuery.includes('nextToken=')
        ? NoopPullCache.key(principal.accessKeyId, `${request.rawPath}?${request.rawQuery}`)
        : null;
    if (noopKey !== null) {
      const remembered = deps.noopPulls!.get(noopKey);
      if (remembered !== undefined) return new SerializedBody(remembered);
    }
    const mark = deps.noopPulls?.mark() ?? 0;
    const user = await sessionUserOf(deps.api, principal);
    const ctx: Context = { deps: deps.api, headers: () => new Headers(), user: async () => user };
    const caller = createCaller(ctx);
    const query = parseQuery(request.rawQuery);
    const result = await runOperation({ route, principal, caller, request, query, deps });
    if (noopKey !== null && isNoopPull(result) && principal.kind === 'identity') {
      const body = JSON.stringify(result);
      deps.noopPulls!.set(noopKey, principal.identityId, body, mark);
      return new SerializedBody(body);
    }
    return result;
  };
}

const isNoopPull = (result: OperationResult): boolean =>
  result !== null &&
  !(result instanceof SerializedBody) &&
  Array.isArray(result['Records']) &&
  result['Records'].length === 0 &&
  result['NextToken'] === null;

interface OperationContext {
  route: RouteMatch;
  principal: Principal;
  caller: Caller;
  request: AwsHttpRequest;
  query: Query;
  deps: CognitoSyncDeps;
}

async function runOperation(o: OperationContext): Promise<OperationResult> {
  const { caller, query, principal } = o;
  const { labels, operation } = o.route;
  const identityPoolId = labels.IdentityPoolId ?? principal.identityPoolId;
  const dev = principal.kind === 'developer';
  const scope = { identityPoolId, identityId: labels.IdentityId! };
  const datasetScope = { ...scope, datasetName: labels.DatasetName! };

  switch (operation) {
    case 'ListRecords': {
      const input = {
        ...datasetScope,
        lastSyncCount: queryNumber(query, 'lastSyncCount'),
        nextToken: queryString(query, 'nextToken'),
        maxResults: queryNumber(query, 'maxResults'),
        syncSessionToken: queryString(query, 'syncSessionToken'),
      };
      const page = await call(input, () =>
        dev ? caller.admin.record.list(input as never) : caller.record.list(input as never),
      );
      return awsListRecords(page);
    }
    case 'UpdateRecords': {
      const body = parseBody(o.request.body);
      const clientContext = header(o.request, 'x-amz-client-context');
      const input = {
        ...datasetScope,
        recordPatches: recordPatches(body['RecordPatches']),
        syncSessionToken: body['SyncSessionToken'],
        ...(body['DeviceId'] !== undefined && body['DeviceId'] !== null
          ? { deviceId: body['DeviceId'] }
          : {}),
        ...(clientContext !== undefined ? { clientContext } : {}),
      };
      const result = await call(input, () =>
        dev ? caller.admin.record.update(input as never) : caller.record.update(input as never),
      );
      return { Records: result.records.map(awsRecord) };
    }
    case 'DescribeDataset': {
      const { dataset } = await call(datasetScope, () =>
        dev ? caller.admin.dataset.describe(datasetScope) : caller.dataset.describe(datasetScope),
      );
      return { Dataset: awsDataset(dataset) };
    }
    case 'DeleteDataset': {
      const { dataset } = await call(datasetScope, () =>
        dev ? caller.admin.dataset.delete(datasetScope) : caller.dataset.delete(datasetScope),
      );
      return { Dataset: awsDataset(dataset) };
    }
    case 'ListDatasets': {
      const input = {
        ...scope,
        nextToken: queryString(query, 'nextToken'),
        maxResults: queryNumber(query, 'maxResults'),
      };
      const page = await call(input, () =>
        dev ? caller.admin.dataset.list(input as never) : caller.dataset.list(input as never),
      );
      return {
        Datasets: page.datasets.map(awsDataset),
        Count: page.count,
        NextToken: page.nextToken,
      };
    }
    case 'DescribeIdentityUsage': {
      const { identityUsage } = await call(scope, () =>
        dev ? caller.admin.identity.usage(scope) : caller.identity.usage(scope),
      );
      return { IdentityUsage: awsIdentityUsage(identityUsage) };
    }
    case 'DescribeIdentityPoolUsage': {
      const usage = await call({ identityPoolId }, () =>
        caller.admin.identityPool.usage({ identityPoolId }),
      );
      return { IdentityPoolUsage: awsIdentityPoolUsage(usage) };
    }
    case 'ListIdentityPoolUsage': {
      // A developer key belongs to one pool, so that pool is the whole list.
      const maxResults = queryNumber(query, 'maxResults');
      const checked = maxResultsSchema.safeParse(maxResults ?? DEFAULT_MAX_RESULTS);
      if (!checked.success) {
        throw new AwsError(
          'InvalidParameterException',
          400,
          validationMessage(
            checked.error.issues.map((issue) => ({
              path: 'maxResults',
              value: maxResults,
              constraint: issue.message,
            })),
          ),
        );
      }
      const nextToken = queryString(query, 'nextToken');
      const usage = nextToken
        ? null
        : await call({ identityPoolId }, () => caller.admin.identityPool.usage({ identityPoolId }));
      const usages = usage ? [awsIdentityPoolUsage(usage)] : [];
      return {
        IdentityPoolUsages: usages,
        MaxResults: checked.data,
        Count: usages.length,
        NextToken: null,
      };
    }
    case 'RegisterDevice': {
      const body = parseBody(o.request.body);
      const input = { ...scope, platform: body['Platform'], token: body['Token'] };
      const result = await call(input, () => caller.device.register(input as never));
      return { DeviceId: result.deviceId };
    }
    case 'SubscribeToDataset':
    case 'UnsubscribeFromDataset': {
      const input = { ...datasetScope, deviceId: labels.DeviceId! };
      await call(input, () =>
        operation === 'SubscribeToDataset'
          ? caller.device.subscribe(input)
          : caller.device.unsubscribe(input),
      );
      return {};
    }
    case 'BulkPublish':
    case 'GetBulkPublishDetails':
    case 'GetCognitoEvents':
    case 'SetCognitoEvents':
    case 'GetIdentityPoolConfiguration':
    case 'SetIdentityPoolConfiguration':
      return configurationOperations[operation]({
        identityPoolId,
        caller,
        api: o.deps.api,
        body: () => parseBody(o.request.body),
        call,
      });
  }
}
