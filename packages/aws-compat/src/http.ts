/**
 * The request and response shapes every AWS-compatible handler works on, independent of the
 * HTTP server: tests drive handlers directly, apps/api adapts node:http to them.
 */
export interface AwsHttpRequest {
  method: string;
  /** The path exactly as received (still percent-encoded), without the query string. */
  rawPath: string;
  /** The query string as received, without the leading `?` ('' when none). */
  rawQuery: string;
  /** Header names in lower case (as node:http gives them). */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  /** Who sent it (for rate limits): the first X-Forwarded-For hop, else the peer address. */
  clientAddress?: string;
}

export interface AwsHttpResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A header's value, with repeated headers joined by `,` as HTTP allows. */
export function header(request: AwsHttpRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(',') : value;
}

/**
 * A JSON request body that must be an object; an empty body counts as `{}` (the SDKs send
 * either for operations without body members). `invalid` makes the error each API uses.
 */
export function parseJsonObject(
  body: Buffer,
  invalid: (message: string) => Error,
): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('The request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}
