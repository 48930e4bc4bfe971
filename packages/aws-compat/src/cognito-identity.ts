/**
 * The Cognito Identity credential endpoint (AWS JSON 1.1, `x-amz-target:
 * AWSCognitoIdentityService.<Op>`): the two unsigned calls an unmodified AWS SDK makes to get
 * credentials for Cognito Sync (spec §3.1) — v3's `fromCognitoIdentityPool`, v2's
 * `AWS.CognitoIdentityCredentials` ("enhanced" flow), the mobile SDKs' credential providers.
 *
 *  - GetId `{IdentityPoolId, AccountId?, Logins?}` → `{IdentityId}`. Without Logins: a new guest
 *    identity (owned by a synthetic `aws-guest:<uuid>` user), when the pool allows guests. With
 *    `Logins: {tandem: <Tandem session token>}`: the signed-in (or anonymous Tandem) user's own
 *    identity in the pool — the same one the tRPC API uses.
 *  - GetCredentialsForIdentity `{IdentityId, Logins?, CustomRoleArn?}` → `{IdentityId,
 *    Credentials}`: stateless credentials (identity-credentials.ts) for that identity. An
 *    identity owned by a Tandem user needs that user's `tandem` login; an AWS guest identity needs
 *    none (as in Cognito, knowing its id is enough) but its pool must still allow guests.
 *
 * Not served (UnknownOperationException): every other Cognito Identity operation, including
 * GetOpenIdToken and developer-authenticated identities. `AccountId` and `CustomRoleArn` are
 * validated and ignored (there are no IAM roles here). Logging in from an AWS guest identity does
 * not link the two (Cognito would): that GetCredentialsForIdentity is refused with
 * NotAuthorizedException, which makes the SDKs forget the cached id and call GetId again.
 */
import { getSessionUser, type Auth, type SessionUser } from '@tandem/auth';
import {
  findIdentityById,
  findIdentityPool,
  getOrCreateIdentity,
  type Database,
  type IdentityPoolRow,
  type IdentityRow,
} from '@tandem/db';
import { isSyncError } from '@tandem/domain';
import {
  IDENTITY_ID_PATTERN,
  IDENTITY_POOL_ID_PATTERN,
  MAX_ID_LENGTH,
} from '@tandem/sync-protocol';
import { randomUUID } from 'node:crypto';
import type { RateLimiter } from './rate-limiter.js';
import { AwsError, awsErrorResponse } from './errors.js';
import { header, parseJsonObject, type AwsHttpRequest, type AwsHttpResponse } from './http.js';
import type { IdentityCredentialIssuer } from './identity-credentials.js';

/** The Logins map key whose value is a Tandem session token (a better-auth bearer token). */
export const TANDEM_LOGIN_PROVIDER = 'tandem';

/** The `x-amz-target` prefix of Cognito Identity's operations. */
export const COGNITO_IDENTITY_TARGET_PREFIX = 'AWSCognitoIdentityService.';

/** Owner of the identities GetId creates for callers without Logins. */
export const AWS_GUEST_USER_PREFIX = 'aws-guest:';

export interface CognitoIdentityDeps {
  database: Database;
  auth: Auth;
  issuer: IdentityCredentialIssuer;
  now?: () => Date;
  /** Told about unexpected failures (answered with InternalErrorException 500). */
  onError?: (error: unknown) => void;
  /**
   * Bounds new guest identities per client address (GetId without Logins is unauthenticated:
   * without a bound, anyone could fill the database). Absent: no limit.
   */
  guestLimiter?: RateLimiter;
}

/** Whether a request is meant for this endpoint (a server sharing `/` with others can route on it). */
export const isCognitoIdentityRequest = (request: AwsHttpRequest): boolean =>
  (header(request, 'x-amz-target') ?? '').startsWith(COGNITO_IDENTITY_TARGET_PREFIX);

const CONTENT_TYPE = 'application/x-amz-json-1.1';

/** Cognito Identity operations that exist in AWS but are not served here. */
const UNSERVED_OPERATIONS = new Set([
  'CreateIdentityPool',
  'DeleteIdentities',
  'DeleteIdentityPool',
  'DescribeIdentity',
  'DescribeIdentityPool',
  'GetIdentityPoolRoles',
  'GetOpenIdToken',
  'GetOpenIdTokenForDeveloperIdentity',
  'GetPrincipalTagAttributeMap',
  'ListIdentities',
  'ListIdentityPools',
  'ListTagsForResource',
  'LookupDeveloperIdentity',
  'MergeDeveloperIdentities',
  'SetIdentityPoolRoles',
  'SetPrincipalTagAttributeMap',
  'TagResource',
  'UnlinkDeveloperIdentity',
  'UnlinkIdentity',
  'UntagResource',
  'UpdateIdentityPool',
]);

// --- Errors, worded as the service words them ---------------------------------------------

const invalidParameter = (message: string) =>
  new AwsError('InvalidParameterException', 400, message);
const notAuthorized = (message: string) => new AwsError('NotAuthorizedException', 403, message);
const notFound = (message: string) => new AwsError('ResourceNotFoundException', 404, message);
const unknownOperation = (message: string) =>
  new AwsError('UnknownOperationException', 400, message);

const INVALID_LOGIN = 'Invalid login token.';
const LOGINS_MISMATCH =
  "Logins don't match. Please include at least one valid login for this identity or identity pool.";
const GUESTS_REFUSED = 'Unauthenticated access is not supported for this identity pool.';

// --- Validation (Coral-style messages) ------------------------------------------------------

interface Failure {
  path: string;
  value: unknown;
  constraint: string;
}

const shown = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return `'${text.slice(0, 128)}'`;
};

const validationError = (failures: Failure[]) => {
  const n = failures.length;
  const parts = failures.map(
    (f) => `Value ${shown(f.value)} at '${f.path}' failed to satisfy constraint: ${f.constraint}`,
  );
  return invalidParameter(
    `${n} validation error${n === 1 ? '' : 's'} detected: ${parts.join('; ')}`,
  );
};

const ID_PATTERN_TEXT = String.raw`[\w-]+:[0-9a-f-]+`;

class Validator {
  readonly failures: Failure[] = [];
  constructor(private readonly body: Record<string, unknown>) {}

  private fail(path: string, value: unknown, constraint: string): undefined {
    this.failures.push({ path, value, constraint });
    return undefined;
  }

  /** A string member; undefined (with a failure recorded) when it breaks a constraint. */
  string(
    member: string,
    rules: { required?: boolean; min?: number; max?: number; pattern?: [RegExp, string] },
  ): string | undefined {
    const path = member.charAt(0).toLowerCase() + member.slice(1);
    const value = this.body[member];
    if (value === undefined || value === null) {
      return rules.required ? this.fail(path, null, 'Member must not be null') : undefined;
    }
    if (typeof value !== 'string') return this.fail(path, value, 'Member must be a string');
    if (rules.min !== undefined && value.length < rules.min) {
      return this.fail(
        path,
        value,
        `Member must have length greater than or equal to ${rules.min}`,
      );
    }
    if (rules.max !== undefined && value.length > rules.max) {
      return this.fail(path, value, `Member must have length less than or equal to ${rules.max}`);
    }
    if (rules.pattern && !rules.pattern[0].test(value)) {
      return this.fail(
        path,
        value,
        `Member must satisfy regular expression pattern: ${rules.pattern[1]}`,
      );
    }
    return value;
  }

  /** The Logins map: provider name (1–128) → token (1–50,000), at most 10 entries. */
  logins(): Record<string, string> | undefined {
    const value = this.body['Logins'];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) {
      return this.fail('logins', value, 'Member must be a map');
    }
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length > 10) {
      return this.fail('logins', value, 'Member must have length less than or equal to 10');
    }
    const logins: Record<string, string> = {};
    for (const [name, token] of entries) {
      if (name.length < 1 || name.length > 128) {
        return this.fail(
          'logins',
          value,
          'Map keys must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]',
        );
      }
      if (typeof token !== 'string' || token.length < 1 || token.length > 50_000) {
        return this.fail(
          'logins',
          value,
          'Map value must satisfy constraint: [Member must have length less than or equal to 50000, Member must have length greater than or equal to 1]',
        );
      }
      logins[name] = token;
    }
    return logins;
  }

  done(): void {
    if (this.failures.length > 0) throw validationError(this.failures);
  }
}

const poolIdRules = {
  required: true,
  min: 1,
  max: MAX_ID_LENGTH,
  pattern: [IDENTITY_POOL_ID_PATTERN, ID_PATTERN_TEXT] as [RegExp, string],
};
const identityIdRules = {
  required: true,
  min: 1,
  max: MAX_ID_LENGTH,
  pattern: [IDENTITY_ID_PATTERN, ID_PATTERN_TEXT] as [RegExp, string],
};

// --- The handler -----------------------------------------------------------------------------

export function createCognitoIdentityHandler(
  deps: CognitoIdentityDeps,
): (request: AwsHttpRequest, requestId: string) => Promise<AwsHttpResponse> {
  const now = deps.now ?? (() => new Date());
  const { db } = deps.database;

  /**
   * The Tandem user the Logins map names: null when there is no login at all; refused when a
   * provider other than `tandem` is named or the token opens no session.
   */
  async function loginUser(
    logins: Record<string, string> | undefined,
  ): Promise<SessionUser | null> {
    const names = Object.keys(logins ?? {});
    if (names.length === 0) return null;
    const foreign = names.find((name) => name !== TANDEM_LOGIN_PROVIDER);
    if (foreign !== undefined) {
      throw notAuthorized(
        `Login provider '${foreign.slice(0, 128)}' is not configured for this identity pool; ` +
          `the only supported login is '${TANDEM_LOGIN_PROVIDER}' (a Tandem session token).`,
      );
    }
    const token = logins?.[TANDEM_LOGIN_PROVIDER] ?? '';
    // Session tokens are printable ASCII; anything else cannot even be put in a header.
    if (!/^[\x21-\x7e]+$/.test(token)) throw notAuthorized(INVALID_LOGIN);
    const user = await getSessionUser(
      deps.auth,
      new Headers({ authorization: `Bearer ${token}` }),
    ).catch((error: unknown) => {
      // better-auth answers a malformed token with an APIError; anything else is ours to report.
      if (error instanceof Error && error.name === 'APIError') return null;
      throw error;
    });
    if (!user) throw notAuthorized(INVALID_LOGIN);
    return user;
  }

  async function poolOf(identityPoolId: string): Promise<IdentityPoolRow> {
    const pool = await findIdentityPool(db, identityPoolId);
    if (!pool) throw notFound(`IdentityPool '${identityPoolId}' not found.`);
    return pool;
  }

  async function getId(body: Record<string, unknown>, request: AwsHttpRequest): Promise<unknown> {
    const v = new Validator(body);
    const identityPoolId = v.string('IdentityPoolId', poolIdRules);
    v.string('AccountId', { min: 1, max: 15, pattern: [/^\d+$/, String.raw`\d+`] });
    const logins = v.logins();
    v.done();
    const pool = await poolOf(identityPoolId!);
    const user = await loginUser(logins);
    let identity: IdentityRow;
    if (user) {
      // The tRPC API's mapping (api-router callerIdentity): one identity per user and pool.
      identity = await getOrCreateIdentity(db, {
        identityPoolId: pool.id,
        userId: user.userId,
        authenticated: !user.isAnonymous,
      });
    } else {
      if (!pool.allowUnauthenticated) throw notAuthorized(GUESTS_REFUSED);
      if (deps.guestLimiter && !deps.guestLimiter.take(request.clientAddress ?? 'unknown')) {
        throw new AwsError(
          'TooManyRequestsException',
          429,
          'Too many new guest identities from this address; retry in a minute.',
        );
      }
      identity = await getOrCreateIdentity(db, {
        identityPoolId: pool.id,
        userId: `${AWS_GUEST_USER_PREFIX}${randomUUID()}`,
        authenticated: false,
      });
    }
    return { IdentityId: identity.id };
  }

  async function getCredentialsForIdentity(body: Record<string, unknown>): Promise<unknown> {
    const v = new Validator(body);
    const identityId = v.string('IdentityId', identityIdRules);
    const logins = v.logins();
    v.string('CustomRoleArn', { min: 20, max: 2048 });
    v.done();
    const identity = await findIdentityById(db, identityId!);
    if (!identity) throw notFound(`Identity '${identityId}' not found.`);
    if (identity.mergedInto !== null) {
      throw notAuthorized(
        `Identity '${identity.id}' was merged into another identity; call GetId again.`,
      );
    }
    const user = await loginUser(logins);
    const awsGuest = identity.userId?.startsWith(AWS_GUEST_USER_PREFIX) ?? false;
    if (awsGuest) {
      // Linking a login to a guest identity is not supported: the login's own identity is
      // what GetId returns.
      if (user) throw notAuthorized(LOGINS_MISMATCH);
    } else if (!user || user.userId !== identity.userId) {
      // Identities of Tandem users (guest or signed in) are their own, as on the tRPC API.
      throw notAuthorized(LOGINS_MISMATCH);
    }
    if (!identity.authenticated) {
      const pool = await poolOf(identity.identityPoolId);
      if (!pool.allowUnauthenticated) throw notAuthorized(GUESTS_REFUSED);
    }
    const credentials = deps.issuer.issue({
      identityPoolId: identity.identityPoolId,
      identityId: identity.id,
      now: now(),
    });
    return {
      IdentityId: identity.id,
      Credentials: {
        AccessKeyId: credentials.accessKeyId,
        SecretKey: credentials.secretAccessKey,
        SessionToken: credentials.sessionToken,
        // AWS JSON timestamps are epoch seconds.
        Expiration: credentials.expiration.getTime() / 1000,
      },
    };
  }

  const operations: Record<
    string,
    (body: Record<string, unknown>, request: AwsHttpRequest) => Promise<unknown>
  > = {
    GetId: getId,
    GetCredentialsForIdentity: getCredentialsForIdentity,
  };

  return async (request, requestId) => {
    try {
      if (request.method !== 'POST') {
        throw unknownOperation(
          `Cognito Identity operations are POST requests, not ${request.method}.`,
        );
      }
      const target = header(request, 'x-amz-target') ?? '';
      const name = target.startsWith(COGNITO_IDENTITY_TARGET_PREFIX)
        ? target.slice(COGNITO_IDENTITY_TARGET_PREFIX.length)
        : null;
      const operation = name === null ? undefined : operations[name];
      if (name === null || !Object.hasOwn(operations, name) || !operation) {
        throw unknownOperation(
          name !== null && UNSERVED_OPERATIONS.has(name)
            ? `${target} is not supported by this server; it serves only GetId and GetCredentialsForIdentity.`
            : `Unknown operation '${target.slice(0, 128)}': expected X-Amz-Target ${COGNITO_IDENTITY_TARGET_PREFIX}GetId or ${COGNITO_IDENTITY_TARGET_PREFIX}GetCredentialsForIdentity.`,
        );
      }
      const body = parseJsonObject(request.body, invalidParameter);
      const result = await operation(body, request);
      return {
        status: 200,
        headers: { 'x-amzn-RequestId': requestId, 'Content-Type': CONTENT_TYPE },
        body: JSON.stringify(result),
      };
    } catch (error) {
      const awsError =
        error instanceof AwsError
          ? error
          : isSyncError(error)
            ? new AwsError(error.kind, error.status, error.message)
            : null;
      if (awsError) return jsonError(awsError, requestId);
      deps.onError?.(error);
      return jsonError(
        new AwsError('InternalErrorException', 500, 'An internal error occurred.'),
        requestId,
      );
    }
  };
}

function jsonError(error: AwsError, requestId: string): AwsHttpResponse {
  const response = awsErrorResponse(error, requestId);
  return { ...response, headers: { ...response.headers, 'Content-Type': CONTENT_TYPE } };
}
