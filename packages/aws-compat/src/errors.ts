/**
 * AWS-style errors. Every client identifies the type from the `x-amzn-ErrorType` header (iOS
 * reads nothing else) or the body's `__type`, and the text from `message` (spec §6.2).
 */
import type { AwsHttpResponse } from './http.js';

export class AwsError extends Error {
  constructor(
    /** The wire type name, e.g. `ResourceConflictException`. */
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

export function awsErrorResponse(error: AwsError, requestId: string): AwsHttpResponse {
  return {
    status: error.status,
    headers: {
      'x-amzn-RequestId': requestId,
      'x-amzn-ErrorType': error.type,
      'Content-Type': 'application/json',
    },
    body: JSON.stringify({ __type: error.type, message: error.message }),
  };
}

/** Refusals of the signature layer, named as AWS names them. */
export const signatureErrors = {
  missing: () =>
    new AwsError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token'),
  incomplete: (detail: string) => new AwsError('IncompleteSignatureException', 403, detail),
  mismatch: () =>
    new AwsError(
      'InvalidSignatureException',
      403,
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    ),
  unknownKey: () =>
    new AwsError(
      'UnrecognizedClientException',
      403,
      'The security token included in the request is invalid.',
    ),
  expired: () =>
    new AwsError(
      'ExpiredTokenException',
      403,
      'The security token included in the request is expired',
    ),
  skew: (detail: string) => new AwsError('InvalidSignatureException', 403, detail),
  replay: () =>
    new AwsError(
      'InvalidSignatureException',
      403,
      'This signed request was already received; a request that changes data is accepted once. Sign each request anew.',
    ),
};
