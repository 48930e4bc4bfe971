/**
 * Error names and HTTP statuses of Cognito Sync (spec §6.1). Every surface reports these names:
 * tRPC in `error.data.cognitoError`, the REST binding in `x-amzn-ErrorType`.
 */
export const ERROR_KINDS = {
  InvalidParameterException: 400,
  NotAuthorizedException: 403,
  ResourceNotFoundException: 404,
  ResourceConflictException: 409,
  LimitExceededException: 400,
  TooManyRequestsException: 429,
  InternalErrorException: 500,
  InvalidConfigurationException: 400,
  InvalidLambdaFunctionOutputException: 400,
  LambdaThrottledException: 429,
  LambdaSocketTimeoutException: 504,
  DuplicateRequestException: 400,
  AlreadyStreamedException: 400,
  ConcurrentModificationException: 400,
  /** Not a Cognito name: the request body is larger than the server accepts. */
  RequestEntityTooLargeException: 413,
} as const;

export type ErrorKind = keyof typeof ERROR_KINDS;

export const isErrorKind = (name: unknown): name is ErrorKind =>
  typeof name === 'string' && Object.hasOwn(ERROR_KINDS, name);
