import { ERROR_KINDS, type ErrorKind } from '@tandem/sync-protocol';

/**
 * The one error type of the sync core. `kind` is the Cognito error name (spec §6.1) and fixes
 * the HTTP status, so the tRPC API and the AWS-compatible binding report the same thing.
 */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_KINDS[this.kind];
  }
}

export const isSyncError = (error: unknown): error is SyncError => error instanceof SyncError;

export const invalidParameter = (message: string) =>
  new SyncError('InvalidParameterException', message);

/** The message clients and humans know from Cognito (spec §6.3). */
export const staleSyncCount = (key: string, serverCount: number, sentCount: number) =>
  new SyncError(
    'ResourceConflictException',
    `Current SyncCount for: ${key} is: ${serverCount} not: ${sentCount}`,
  );

export const limitExceeded = (message: string) => new SyncError('LimitExceededException', message);

export const notFound = (message: string) => new SyncError('ResourceNotFoundException', message);

export const notAuthorized = (message: string) => new SyncError('NotAuthorizedException', message);

export const invalidSyncSessionToken = () =>
  invalidParameter('SyncSessionToken not valid for these inputs');

/** Coral-style text for one failed constraint, as the AWS service words it (spec §6.3). */
export function validationMessage(
  failures: readonly { path: string; value: unknown; constraint: string }[],
): string {
  const n = failures.length;
  const parts = failures.map(
    (f) =>
      `Value '${String(f.value).slice(0, 128)}' at '${f.path}' failed to satisfy constraint: ${f.constraint}`,
  );
  return `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`;
}
