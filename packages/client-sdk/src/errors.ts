import { isErrorKind, type ErrorKind } from '@tandem/sync-protocol';

/**
 * Why a sync failed. Server errors keep their Cognito name (`ResourceConflictException`, …);
 * the SDK adds its own for what happens on the device.
 */
export type SyncErrorKind =
  | ErrorKind
  /** No answer from the server (offline, DNS, connection refused, timeout). Retried by itself. */
  | 'NetworkError'
  /** Not signed in, or the session ended: sign in again. */
  | 'NotSignedIn'
  /** The conflict handler declined (returned false). Local changes are kept. */
  | 'ConflictNotResolved'
  /** The server kept moving under us: retried `maxRetries` times. Will try again later. */
  | 'RetriesExhausted'
  /** onDatasetDeleted or onDatasetsMerged returned false. */
  | 'SyncCancelled'
  /** The app closed the client or the dataset while a sync was running. */
  | 'Closed'
  /** A local store failure (quota, I/O). */
  | 'StoreError'
  /** This browser cannot receive pushes: permission denied, or no usable subscription. */
  | 'PushUnavailable';

const RETRYABLE = new Set<SyncErrorKind>([
  'NetworkError',
  'RetriesExhausted',
  'TooManyRequestsException',
  'InternalErrorException',
  'LambdaThrottledException',
  'LambdaSocketTimeoutException',
  'ResourceConflictException',
]);

export class TandemSyncError extends Error {
  override readonly name = 'TandemSyncError';
  /** The server's HTTP status, when the server answered. */
  readonly status: number | null;

  constructor(
    readonly kind: SyncErrorKind,
    message: string,
    options: { status?: number | null; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status ?? null;
  }

  /** Worth trying again later without any change by the user or the app. */
  get retryable(): boolean {
    return RETRYABLE.has(this.kind);
  }
}

/** Turns whatever a call threw into a TandemSyncError. */
export function toSyncError(error: unknown): TandemSyncError {
  if (error instanceof TandemSyncError) return error;
  const data = (error as { data?: { cognitoError?: unknown; httpStatus?: number } } | null)?.data;
  const message = error instanceof Error ? error.message : String(error);
  if (data && isErrorKind(data.cognitoError)) {
    return new TandemSyncError(data.cognitoError, message, {
      status: data.httpStatus ?? null,
      cause: error,
    });
  }
  if (data?.httpStatus === 401) {
    return new TandemSyncError('NotSignedIn', message, { status: 401, cause: error });
  }
  if (data?.httpStatus && data.httpStatus >= 500) {
    return new TandemSyncError('InternalErrorException', message, {
      status: data.httpStatus,
      cause: error,
    });
  }
  return new TandemSyncError('NetworkError', message || 'The server could not be reached', {
    cause: error,
  });
}
