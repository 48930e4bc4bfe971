/**
 * The server's rules (sync-protocol's zod schemas) checked in the browser before anything is
 * staged or sent, with messages in plain words instead of the wire's Cognito wording.
 */
import { datasetNameSchema, recordKeySchema, recordValueSchema } from '@tandem/sync-protocol';

export function datasetNameError(name: string): string | null {
  const result = datasetNameSchema.safeParse(name);
  if (result.success) return null;
  const issue = result.error.issues[0];
  if (issue?.code === 'too_small') return 'Enter a dataset name.';
  if (issue?.code === 'too_big') return 'Use at most 128 characters.';
  return 'Use only letters, digits and the characters _ . : - (no spaces).';
}

export function recordKeyError(key: string): string | null {
  const result = recordKeySchema.safeParse(key);
  if (result.success) return null;
  const issue = result.error.issues[0];
  if (issue?.code === 'too_small') return 'Enter a key.';
  if (issue?.code === 'too_big') return 'Use at most 1,024 characters.';
  return issue?.message.includes('UTF-8')
    ? 'The key is too long: at most 2,048 bytes of UTF-8.'
    : 'The key contains a character that cannot be stored (U+0000 or a broken surrogate).';
}

export function recordValueError(value: string): string | null {
  const result = recordValueSchema.safeParse(value);
  if (result.success) return null;
  return result.error.issues[0]?.code === 'too_big'
    ? 'The value is too long (at most 1,048,575 characters).'
    : 'The value contains a character that cannot be stored (U+0000 or a broken surrogate).';
}

/** null when `text` is well-formed JSON, else why not, in words. */
export function jsonError(text: string): string | null {
  try {
    JSON.parse(text);
    return null;
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return text.trim() === ''
      ? 'The value is empty, which is not JSON. Enter a JSON value such as "text", 42, true, [ ] or { }.'
      : `This is not well-formed JSON: ${detail}`;
  }
}

export const isJson = (text: string) => jsonError(text) === null;
