import { randomUUID } from 'node:crypto';
import { AwsError, awsErrorResponse } from '../errors.js';
import type { AwsHttpRequest, AwsHttpResponse } from '../http.js';
import { SerializedBody, type OperationResult } from './handler.js';

/** One Cognito Sync request → its HTTP answer (spec §2.3, §6.2), never throwing. */
export async function handleCognitoSync(
  handler: (request: AwsHttpRequest) => Promise<OperationResult>,
  request: AwsHttpRequest,
  requestId: string = randomUUID(),
  onError?: (error: unknown) => void,
): Promise<AwsHttpResponse> {
  try {
    const result = await handler(request);
    return {
      status: 200,
      headers: { 'x-amzn-RequestId': requestId, 'Content-Type': 'application/json' },
      body: result instanceof SerializedBody ? result.text : JSON.stringify(result ?? {}),
    };
  } catch (error) {
    if (error instanceof AwsError) {
      if (error.status >= 500) onError?.(error);
      return awsErrorResponse(error, requestId);
    }
    onError?.(error);
    return awsErrorResponse(
      new AwsError(
        'InternalErrorException',
        500,
        'An internal error occurred; the request id identifies it.',
      ),
      requestId,
    );
  }
}
