import { invalidParameter } from '@tandem/domain';

/**
 * Opaque pagination tokens: base64url JSON. They carry no authority (every page re-checks who
 * is asking), so they are not signed; a malformed one is InvalidParameterException.
 */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(token: string, isValid: (value: unknown) => value is T): T {
  try {
    const value: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (isValid(value)) return value;
  } catch {
    // fall through
  }
  throw invalidParameter('The pagination token is not valid (nextToken)');
}
