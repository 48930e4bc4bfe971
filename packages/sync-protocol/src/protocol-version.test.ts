import { createHash } from 'node:crypto';
import { expect, test } from 'vitest';
import { z } from 'zod';
import * as protocol from './index.js';
import { MIN_SUPPORTED_PROTOCOL_VERSION, PROTOCOL_VERSION } from './protocol-version.js';

/** Every exported schema, serialised as JSON Schema in a stable order. */
function schemaFingerprint(): string {
  const entries = Object.entries(protocol)
    .filter(([, value]) => value instanceof z.ZodType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, schema]) => [
      name,
      z.toJSONSchema(schema as z.ZodType, { io: 'input', unrepresentable: 'any' }),
    ]);
  return JSON.stringify(entries);
}

test('schemas match the pinned hash (bump PROTOCOL_VERSION when they change)', () => {
  const hash = createHash('sha256').update(schemaFingerprint()).digest('hex');
  expect({ PROTOCOL_VERSION, hash }).toEqual({
    PROTOCOL_VERSION: 1,
    hash: '1891092378ef5e806a99e0d8ac903d80f436803467f4b464dbbc5c83b27dd9d8',
  });
});

test('the minimum supported version is not ahead of the current one', () => {
  expect(MIN_SUPPORTED_PROTOCOL_VERSION).toBeLessThanOrEqual(PROTOCOL_VERSION);
});
