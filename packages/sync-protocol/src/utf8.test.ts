import fc from 'fast-check';
import { expect, test } from 'vitest';
import { utf8ByteLength } from './utf8.js';

test('counts UTF-8 bytes exactly as the encoder does, for any string', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'binary' }), (text) => {
      expect(utf8ByteLength(text)).toBe(new TextEncoder().encode(text).length);
    }),
    { numRuns: 2000 },
  );
});

test('multi-byte characters', () => {
  expect(utf8ByteLength('a')).toBe(1);
  expect(utf8ByteLength('é')).toBe(2);
  expect(utf8ByteLength('€')).toBe(3);
  expect(utf8ByteLength('😀')).toBe(4);
  expect(utf8ByteLength('\ud800')).toBe(3);
});
