/**
 * Cognito Sync's REST routes (spec §1): the operation is chosen by method and path alone
 * (older mobile SDKs also send `X-Amz-Target`, which is ignored).
 */
import { AwsError } from '../errors.js';

export type CognitoSyncOperation =
  | 'ListIdentityPoolUsage'
  | 'DescribeIdentityPoolUsage'
  | 'BulkPublish'
  | 'GetBulkPublishDetails'
  | 'GetCognitoEvents'
  | 'SetCognitoEvents'
  | 'GetIdentityPoolConfiguration'
  | 'SetIdentityPoolConfiguration'
  | 'DescribeIdentityUsage'
  | 'ListDatasets'
  | 'DescribeDataset'
  | 'UpdateRecords'
  | 'DeleteDataset'
  | 'ListRecords'
  | 'SubscribeToDataset'
  | 'UnsubscribeFromDataset'
  | 'RegisterDevice';

export type Label = 'IdentityPoolId' | 'IdentityId' | 'DatasetName' | 'DeviceId';

const ROUTES: ReadonlyArray<readonly [method: string, template: string, CognitoSyncOperation]> = [
  ['GET', 'identitypools', 'ListIdentityPoolUsage'],
  ['GET', 'identitypools/{IdentityPoolId}', 'DescribeIdentityPoolUsage'],
  ['POST', 'identitypools/{IdentityPoolId}/bulkpublish', 'BulkPublish'],
  ['POST', 'identitypools/{IdentityPoolId}/getBulkPublishDetails', 'GetBulkPublishDetails'],
  ['GET', 'identitypools/{IdentityPoolId}/events', 'GetCognitoEvents'],
  ['POST', 'identitypools/{IdentityPoolId}/events', 'SetCognitoEvents'],
  ['GET', 'identitypools/{IdentityPoolId}/configuration', 'GetIdentityPoolConfiguration'],
  ['POST', 'identitypools/{IdentityPoolId}/configuration', 'SetIdentityPoolConfiguration'],
  ['GET', 'identitypools/{IdentityPoolId}/identities/{IdentityId}', 'DescribeIdentityUsage'],
  ['GET', 'identitypools/{IdentityPoolId}/identities/{IdentityId}/datasets', 'ListDatasets'],
  [
    'GET',
    'identitypools/{IdentityPoolId}/identities/{IdentityId}/datasets/{DatasetName}',
    'DescribeDataset',
  ],
  [
    'POST',
    'identitypools/{IdentityPoolId}/identities/{IdentityId}/datasets/{DatasetName}',
    'UpdateRecords',
  ],
  [
    'DELETE',
    'identitypools/{IdentityPoolId}/identities/{IdentityId}/datasets/{DatasetName}',
    'DeleteDataset',
  ],
  [
    'GET',
    'identitypools/{IdentityPoolId}/identities/{IdentityId}/datasets/{DatasetName}/records',
    'ListRecords',
  ],
  [
    'POST',
    'identitypools/{IdentityPoolId}/identities/{IdentityId}/datasets/{DatasetName}/subscriptions/{DeviceId}',
    'SubscribeToDataset',
  ],
  [
    'DELETE',
    'identitypools/{IdentityPoolId}/identities/{IdentityId}/datasets/{DatasetName}/subscriptions/{DeviceId}',
    'UnsubscribeFromDataset',
  ],
  // Singular `identity`, as the model has it.
  ['POST', 'identitypools/{IdentityPoolId}/identity/{IdentityId}/device', 'RegisterDevice'],
];

const TEMPLATES = ROUTES.map(([method, template, operation]) => ({
  method,
  parts: template.split('/'),
  operation,
}));

export interface RouteMatch {
  operation: CognitoSyncOperation;
  labels: Partial<Record<Label, string>>;
}

/** Whether a path belongs to the Cognito Sync binding at all. */
export const isCognitoSyncPath = (rawPath: string) =>
  rawPath === '/identitypools' || rawPath.startsWith('/identitypools/');

/**
 * The operation for a method and raw path, with its labels decoded once. A known path with
 * another method, or an unknown path, is refused as AWS's REST front ends do.
 */
export function matchRoute(method: string, rawPath: string): RouteMatch {
  const segments = rawPath.replace(/^\/+/, '').replace(/\/$/, '').split('/');
  let pathKnown = false;
  for (const route of TEMPLATES) {
    if (route.parts.length !== segments.length) continue;
    const labels: Partial<Record<Label, string>> = {};
    let matches = true;
    for (let i = 0; i < route.parts.length && matches; i += 1) {
      const part = route.parts[i]!;
      const segment = segments[i]!;
      if (part.startsWith('{')) {
        if (segment === '') matches = false;
        else labels[part.slice(1, -1) as Label] = decodeLabel(segment);
      } else {
        matches = part === segment;
      }
    }
    if (!matches) continue;
    pathKnown = true;
    if (route.method === method) return { operation: route.operation, labels };
  }
  throw pathKnown
    ? new AwsError(
        'UnknownOperationException',
        405,
        `${method} is not supported on ${rawPath.slice(0, 256)}.`,
      )
    : new AwsError('UnknownOperationException', 404, `No Cognito Sync operation at this path.`);
}

function decodeLabel(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AwsError(
      'InvalidParameterException',
      400,
      `The path segment '${segment.slice(0, 128)}' is not valid percent-encoding.`,
    );
  }
}
