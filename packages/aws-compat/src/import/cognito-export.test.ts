import { describe, expect, it } from 'vitest';
import { parseCognitoExport } from './cognito-export.js';

const POOL = 'us-east-1:11111111-2222-3333-4444-555555555555';
const ID_A = 'us-east-1:aaaaaaaa-0000-0000-0000-000000000001';
const ID_B = 'us-east-1:bbbbbbbb-0000-0000-0000-000000000002';

const bulk = {
  identityPoolId: POOL,
  identityId: ID_A,
  datasetName: 'settings',
  operation: 'replace',
  payloadType: 'Inline',
  kinesisSyncRecords: [
    {
      key: 'theme',
      value: 'dark',
      syncCount: 2,
      lastModifiedDate: 1424801824343,
      deviceLastModifiedDate: 1424801824000,
      op: 'replace',
    },
    {
      key: 'lang',
      value: null,
      syncCount: 1,
      lastModifiedDate: 1424801824343,
      deviceLastModifiedDate: 1424801823000,
      op: 'remove',
    },
  ],
  lastModifiedDate: 1424801824343,
  syncCount: 2,
};
/** The AWS documentation's spelling, a dataset deletion. */
const deletion = {
  identityPoolId: POOL,
  identityId: ID_B,
  dataSetName: 'scores',
  operation: 'remove',
  payloadType: 'Inline',
  kinesisSyncRecords: [],
  lastModifiedDate: 1424801900000,
  syncCount: 7,
};
const s3 = {
  identityPoolId: POOL,
  identityId: ID_B,
  datasetName: 'big',
  operation: 'replace',
  payloadType: 'S3Url',
  kinesisSyncRecordsURL: 'https://bucket.s3.amazonaws.com/x?X-Amz-Signature=abc',
  lastModifiedDate: 1424801900000,
  syncCount: 3,
};

const expectedBulk = {
  identityPoolId: POOL,
  identityId: ID_A,
  datasetName: 'settings',
  operation: 'replace',
  payloadType: 'Inline',
  kinesisSyncRecords: [
    {
      key: 'theme',
      value: 'dark',
      syncCount: 2,
      lastModifiedDate: 1424801824343,
      deviceLastModifiedDate: 1424801824000,
      op: 'replace',
    },
    {
      key: 'lang',
      value: null,
      syncCount: 1,
      lastModifiedDate: 1424801824343,
      deviceLastModifiedDate: 1424801823000,
      op: 'remove',
    },
  ],
  kinesisSyncRecordsURL: null,
  syncCount: 2,
  lastModifiedDate: 1424801824343,
};

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

describe('parseCognitoExport', () => {
  it('reads JSON Lines, with either spelling of the dataset name', () => {
    const text = `${JSON.stringify(bulk)}\n\n${JSON.stringify(deletion)}\n`;
    const parsed = parseCognitoExport(text);
    expect(parsed.errors).toEqual([]);
    expect(parsed.skipped).toEqual([]);
    expect(parsed.records).toEqual([
      { ...expectedBulk, line: 1 },
      {
        identityPoolId: POOL,
        identityId: ID_B,
        datasetName: 'scores',
        operation: 'remove',
        payloadType: 'Inline',
        kinesisSyncRecords: [],
        kinesisSyncRecordsURL: null,
        syncCount: 7,
        lastModifiedDate: 1424801900000,
        line: 3,
      },
    ]);
  });

  it('reads a JSON array, pretty-printed', () => {
    const parsed = parseCognitoExport(JSON.stringify([bulk, deletion], null, 2));
    expect(parsed.errors).toEqual([]);
    expect(parsed.records.map((r) => [r.line, r.identityId, r.datasetName])).toEqual([
      [1, ID_A, 'settings'],
      [2, ID_B, 'scores'],
    ]);
    expect(parsed.records[0]).toEqual({ ...expectedBulk, line: 1 });
  });

  it('reads one pretty-printed record', () => {
    const parsed = parseCognitoExport(JSON.stringify(bulk, null, 2));
    expect(parsed.errors).toEqual([]);
    expect(parsed.records).toEqual([{ ...expectedBulk, line: 1 }]);
  });

  it('decodes the Kinesis form: base64 Data per line, in a Records wrapper, and Lambda events', () => {
    const kinesisLine = (value: unknown) =>
      JSON.stringify({
        SequenceNumber: '4959',
        ApproximateArrivalTimestamp: '2026-01-01T00:00:00Z',
        Data: base64(value),
        PartitionKey: ID_A,
      });
    const lines = parseCognitoExport(`${kinesisLine(bulk)}\n${kinesisLine(deletion)}\n`);
    expect(lines.errors).toEqual([]);
    expect(lines.records.map((r) => [r.line, r.datasetName])).toEqual([
      [1, 'settings'],
      [2, 'scores'],
    ]);
    expect(lines.records[0]).toEqual({ ...expectedBulk, line: 1 });

    const getRecords = JSON.stringify(
      {
        Records: [
          { SequenceNumber: '1', Data: base64(bulk), PartitionKey: ID_A },
          { SequenceNumber: '2', Data: base64(deletion), PartitionKey: ID_B },
        ],
        NextShardIterator: 'AAAA',
        MillisBehindLatest: 0,
      },
      null,
      2,
    );
    const wrapped = parseCognitoExport(getRecords);
    expect(wrapped.errors).toEqual([]);
    expect(wrapped.records.map((r) => r.datasetName)).toEqual(['settings', 'scores']);

    const lambda = parseCognitoExport(
      JSON.stringify({
        Records: [{ kinesis: { data: base64(bulk) }, eventSource: 'aws:kinesis' }],
      }),
    );
    expect(lambda.errors).toEqual([]);
    expect(lambda.records).toEqual([{ ...expectedBulk, line: 1 }]);
  });

  it('reports S3Url records as skipped with their identity and dataset', () => {
    const parsed = parseCognitoExport(
      [bulk, s3].map((r) => JSON.stringify({ Data: base64(r) })).join('\n'),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.records.map((r) => r.datasetName)).toEqual(['settings']);
    expect(parsed.skipped).toEqual([
      { identityId: ID_B, datasetName: 'big', line: 2, reason: expect.stringContaining('S3Url') },
    ]);
  });

  it('reports bad lines with their line numbers and keeps the good ones', () => {
    const text = [
      JSON.stringify(bulk),
      '{"identityPoolId": "x", oops',
      JSON.stringify({ ...bulk, identityId: undefined }),
      JSON.stringify({ Data: 'not base64!!' }),
      JSON.stringify({ Data: Buffer.from('plain text').toString('base64') }),
      JSON.stringify({ ...bulk, operation: 'merge' }),
      JSON.stringify({ ...bulk, kinesisSyncRecords: [{ key: 1, value: 'x' }] }),
      JSON.stringify({ ...bulk, kinesisSyncRecords: [{ key: 'k', value: 'v', syncCount: -1 }] }),
      '42',
      JSON.stringify(deletion),
    ].join('\n');
    const parsed = parseCognitoExport(text);
    expect(parsed.records.map((r) => r.line)).toEqual([1, 10]);
    expect(parsed.errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expect(parsed.errors[0]?.message).toMatch(/^not JSON/);
    expect(parsed.errors[1]?.message).toBe('identityId is missing');
    expect(parsed.errors[2]?.message).toBe('Data is not base64');
    expect(parsed.errors[3]?.message).toBe('Data is not base64-encoded JSON');
    expect(parsed.errors[4]?.message).toMatch(/operation/);
    expect(parsed.errors[5]?.message).toBe('kinesisSyncRecords[0].key must be a string');
    expect(parsed.errors[6]?.message).toMatch(/syncCount/);
    expect(parsed.errors[7]?.message).toBe('not a JSON object');
  });

  it('reports the line of a broken JSON array, and the position of a bad element', () => {
    const broken = parseCognitoExport(`\n[\n${JSON.stringify(bulk)},\n{"a": }\n]`);
    expect(broken.records).toEqual([]);
    expect(broken.errors).toHaveLength(1);
    expect(broken.errors[0]?.line).toBe(4);

    const badElement = parseCognitoExport(JSON.stringify([bulk, { nope: true }, deletion]));
    expect(badElement.records.map((r) => r.line)).toEqual([1, 3]);
    expect(badElement.errors).toEqual([{ line: 2, message: 'identityPoolId is missing' }]);
  });

  it('fills what the sample consumer says may be missing', () => {
    const parsed = parseCognitoExport(
      JSON.stringify({
        identityPoolId: POOL,
        identityId: ID_A,
        datasetName: 'd',
        kinesisSyncRecords: [{ key: 'k', value: 'v' }, { key: 'gone' }],
        syncCount: 5,
      }),
    );
    expect(parsed.errors).toEqual([]);
    expect(parsed.records[0]).toMatchObject({
      operation: 'replace',
      payloadType: 'Inline',
      lastModifiedDate: null,
      kinesisSyncRecords: [
        { key: 'k', value: 'v', op: 'replace', syncCount: 5, deviceLastModifiedDate: null },
        { key: 'gone', value: null, op: 'remove', syncCount: 5 },
      ],
    });
  });

  it('reads an empty file as no records', () => {
    expect(parseCognitoExport('\n  \n')).toEqual({ records: [], skipped: [], errors: [] });
  });
});
