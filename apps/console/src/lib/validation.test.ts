import { TRPCClientError } from '@trpc/client';
import { expect, test } from 'vitest';
import { fieldErrorsOf } from './errors';
import { datasetNameError, jsonError, recordKeyError } from './validation';

test('dataset names follow the server schema, explained in words', () => {
  expect(datasetNameError('notes')).toBeNull();
  expect(datasetNameError('a.b:c_d-e')).toBeNull();
  expect(datasetNameError('')).toBe('Enter a dataset name.');
  expect(datasetNameError('my notes')).toMatch(/letters, digits/);
  expect(datasetNameError('x'.repeat(129))).toBe('Use at most 128 characters.');
});

test('record keys and JSON values', () => {
  expect(recordKeyError('k')).toBeNull();
  expect(recordKeyError('')).toBe('Enter a key.');
  expect(recordKeyError('a\u0000b')).toMatch(/cannot be stored/);
  expect(jsonError('{"a": [1, 2]}')).toBeNull();
  expect(jsonError('"text"')).toBeNull();
  expect(jsonError('{"a": ')).toMatch(/^This is not well-formed JSON: /);
  expect(jsonError('  ')).toMatch(/empty/);
});

test('field errors out of the server’s Cognito validation message', () => {
  const error = new TRPCClientError(
    "2 validation errors detected: Value 'nats server!' at 'streams.sink.host' failed to satisfy constraint: Must be a host name or IP address; Value 'a..b' at 'streams.sink.subjectPrefix' failed to satisfy constraint: Dot-separated tokens",
  );
  expect(fieldErrorsOf(error)).toEqual({
    'streams.sink.host': 'Must be a host name or IP address',
    'streams.sink.subjectPrefix': 'Dot-separated tokens',
  });
});
