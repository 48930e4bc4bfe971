/**
 * The one tRPC instance. Procedures throw `SyncError`s (Cognito error kinds); the error
 * middleware turns them into tRPC errors with the matching HTTP status, and the formatter puts
 * the Cognito name in `error.data.cognitoError` so clients branch on it, not on text.
 */
import { invalidParameter, SyncError, validationMessage } from '@tandem/domain';
import type { ErrorKind } from '@tandem/sync-protocol';
import { getTRPCErrorFromUnknown, initTRPC, TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import { ZodError } from 'zod';
import type { Context } from './context.js';

const TRPC_CODE_BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: 'BAD_REQUEST',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  429: 'TOO_MANY_REQUESTS',
  500: 'INTERNAL_SERVER_ERROR',
  504: 'GATEWAY_TIMEOUT',
};

export class CognitoTRPCError extends TRPCError {
  constructor(
    readonly kind: ErrorKind,
    error: SyncError,
  ) {
    super({
      code: TRPC_CODE_BY_STATUS[error.status] ?? 'BAD_REQUEST',
      message: error.message,
      cause: error,
    });
  }
}

function cognitoKindOf(error: TRPCError): ErrorKind {
  if (error instanceof CognitoTRPCError) return error.kind;
  if (error.cause instanceof SyncError) return error.cause.kind;
  switch (error.code) {
    case 'BAD_REQUEST':
    case 'PARSE_ERROR':
    case 'METHOD_NOT_SUPPORTED':
    case 'UNSUPPORTED_MEDIA_TYPE':
      return 'InvalidParameterException';
    case 'UNAUTHORIZED':
    case 'FORBIDDEN':
      return 'NotAuthorizedException';
    case 'NOT_FOUND':
      return 'ResourceNotFoundException';
    case 'PAYLOAD_TOO_LARGE':
      return 'RequestEntityTooLargeException';
    case 'TOO_MANY_REQUESTS':
      return 'TooManyRequestsException';
    default:
      return 'InternalErrorException';
  }
}

/** JSON of a bad input for the message; deeply nested input must not crash the formatter. */
function printable(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return Array.isArray(value)
      ? '[…]'
      : typeof value === 'object' && value !== null
        ? '{…}'
        : String(value);
  }
}

/** PostgreSQL refuses U+0000 in text (SQLSTATE 22021): the caller's input, not a server fault. */
function isUnstorableTextError(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === '22021') return true;
  }
  return false;
}

/** Inputs whose values a validation message must not repeat (the console shows messages). */
const SECRET_FIELDS = new Set<PropertyKey>(['password', 'setupToken']);

function zodMessage(error: ZodError, input: unknown): string {
  return validationMessage(
    error.issues.map((issue) => {
      let value: unknown = input;
      for (const part of issue.path)
        value = (value as Record<PropertyKey, unknown> | undefined)?.[part as PropertyKey];
      const secret = issue.path.some((part) => SECRET_FIELDS.has(part));
      return {
        path: issue.path.join('.') || '(input)',
        value: secret ? '***' : typeof value === 'string' ? value : printable(value),
        constraint: issue.message,
      };
    }),
  );
}

const t = initTRPC.context<Context>().create({
  errorFormatter({ shape, error, input }) {
    const kind = cognitoKindOf(error);
    const isValidation = error.cause instanceof ZodError;
    return {
      ...shape,
      // Never leak internals of unexpected failures.
      message: isValidation
        ? zodMessage(error.cause as ZodError, input)
        : kind === 'InternalErrorException'
          ? 'An internal error occurred; the request id in the logs identifies it.'
          : shape.message,
      data: { ...shape.data, stack: undefined, cognitoError: kind },
    };
  },
});

/**
 * The Cognito error a failed call amounts to, as the HTTP surfaces send it: for other bindings
 * of the same procedures (the AWS-compatible REST API), which call them without tRPC's HTTP
 * adapter and so without the formatter above.
 */
export function describeApiError(
  error: unknown,
  input: unknown,
): { kind: ErrorKind; status: number; message: string } {
  const trpcError = getTRPCErrorFromUnknown(error);
  const kind = cognitoKindOf(trpcError);
  const cause = trpcError.cause;
  if (cause instanceof ZodError) {
    return { kind: 'InvalidParameterException', status: 400, message: zodMessage(cause, input) };
  }
  if (cause instanceof SyncError) return { kind, status: cause.status, message: cause.message };
  if (kind === 'InternalErrorException') {
    return {
      kind,
      status: 500,
      message: 'An internal error occurred; the request id in the logs identifies it.',
    };
  }
  return { kind, status: getHTTPStatusCodeFromError(trpcError), message: trpcError.message };
}

/** Rethrows a procedure's SyncError (or a refused text value) as a typed tRPC error. */
function mapSyncErrors<R extends { ok: boolean; error?: { cause?: unknown } }>(result: R): R {
  if (!result.ok && result.error?.cause instanceof SyncError) {
    throw new CognitoTRPCError(result.error.cause.kind, result.error.cause);
  }
  if (!result.ok && isUnstorableTextError(result.error?.cause)) {
    const error = invalidParameter('Text values cannot contain the character U+0000.');
    throw new CognitoTRPCError(error.kind, error);
  }
  return result;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

export const publicProcedure = t.procedure.use(async ({ next }) => mapSyncErrors(await next()));

/**
 * A signed-in user or guest. One middleware (not public + session): it runs on every sync, and
 * each tRPC middleware layer costs measurable CPU per call.
 */
export const sessionProcedure = t.procedure.use(async ({ ctx, next }) => {
  const user = await ctx.user();
  if (!user) {
    throw new CognitoTRPCError(
      'NotAuthorizedException',
      new SyncError('NotAuthorizedException', 'Sign in (or start a guest session) first.'),
    );
  }
  return mapSyncErrors(await next({ ctx: { ...ctx, sessionUser: user } }));
});

/** A console administrator: any identity of any pool. */
export const adminProcedure = sessionProcedure.use(async ({ ctx, next }) => {
  if (!ctx.sessionUser.isAdmin) {
    throw new CognitoTRPCError(
      'NotAuthorizedException',
      new SyncError('NotAuthorizedException', 'This operation needs an administrator.'),
    );
  }
  return next();
});
