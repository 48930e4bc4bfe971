/**
 * What an error means to an admin: a title, the server's own message, and what to do next.
 * The API puts the Cognito error name in `error.data.cognitoError`; the console branches on it,
 * never on message text. Stacks never reach the page.
 */
import { TRPCClientError } from '@trpc/client';

export interface ExplainedError {
  kind: string;
  status: number;
  title: string;
  message: string;
  advice: string;
}

const EXPLANATIONS: Record<string, { title: string; advice: string }> = {
  ResourceConflictException: {
    title: 'Someone changed this meanwhile',
    advice: 'Refresh to see the current data, then make your change again.',
  },
  LimitExceededException: {
    title: 'A limit was reached',
    advice:
      'An identity holds at most 20 datasets, and a dataset at most 1,024 records and 1 MB. Remove something first.',
  },
  ResourceNotFoundException: {
    title: 'Not found',
    advice: 'It may have been deleted, or the link is wrong. Go back and open it from the list.',
  },
  NotAuthorizedException: {
    title: 'Not allowed',
    advice: 'Your session may have ended. Sign in again with an administrator account.',
  },
  InvalidParameterException: {
    title: 'The server refused a value',
    advice: 'Correct the value described above and try again.',
  },
  InvalidConfigurationException: {
    title: 'The pool is not configured for this',
    advice: 'Check the pool settings this action depends on, then try again.',
  },
  TooManyRequestsException: {
    title: 'Too many requests',
    advice: 'Wait a moment, then try again.',
  },
  DuplicateRequestException: {
    title: 'Already done recently',
    advice: 'This can only run again later; the status shows when.',
  },
  ConcurrentModificationException: {
    title: 'Something else is changing this right now',
    advice: 'Wait for it to finish, refresh, and try again.',
  },
  RequestEntityTooLargeException: {
    title: 'Too much data in one request',
    advice: 'Send fewer or smaller changes at once.',
  },
  InternalErrorException: {
    title: 'The server failed',
    advice: 'Try again. If it keeps failing, look in the API logs (search for the request id).',
  },
};

const UNREACHABLE = {
  title: 'Cannot reach the Tandem API',
  advice: 'Check that the API is running and that the console’s TANDEM_API_URL points to it.',
};

export function explainError(error: unknown): ExplainedError {
  if (error instanceof TRPCClientError) {
    const data = error.data as
      { cognitoError?: string; httpStatus?: number; code?: string } | undefined;
    const status = data?.httpStatus ?? 0;
    const kind =
      data?.cognitoError ??
      (status === 502 || status === 0
        ? 'Unreachable'
        : status === 403
          ? 'NotAuthorizedException'
          : 'Error');
    const known = kind === 'Unreachable' ? UNREACHABLE : EXPLANATIONS[kind];
    // A fetch that never got an answer has a TypeError as its cause ("Failed to fetch").
    const message =
      error.cause instanceof TypeError && !data
        ? 'The browser could not reach the console server.'
        : error.message;
    return {
      kind,
      status,
      title: known?.title ?? 'Something went wrong',
      message,
      advice: known?.advice ?? 'Try again. If it keeps failing, refresh the page.',
    };
  }
  return {
    kind: 'Error',
    status: 0,
    title: 'Something went wrong',
    message: error instanceof Error ? error.message : String(error),
    advice: 'Try again. If it keeps failing, refresh the page.',
  };
}

export const isNotFound = (error: unknown) =>
  explainError(error).kind === 'ResourceNotFoundException';

/**
 * Field errors out of an InvalidParameterException's Cognito wording:
 * "2 validation errors detected: Value 'x' at 'streams.sink.host' failed to satisfy constraint: …; …".
 * Keys are the dotted paths; the message is the constraint in plain words.
 */
export function fieldErrorsOf(error: unknown): Record<string, string> {
  const { message } = explainError(error);
  const fields: Record<string, string> = {};
  const pattern =
    /Value '((?:[^']|'(?! at '))*)' at '([^']+)' failed to satisfy constraint: (.*?)(?=; Value '|$)/g;
  for (const match of message.matchAll(pattern)) {
    const [, , path, constraint] = match;
    if (path && constraint && !(path in fields)) fields[path] = constraint.trim();
  }
  return fields;
}
