import { afterAll, beforeAll, expect, test } from 'vitest';
import { KinesisSink, kinesisPartitionKey } from './kinesis.js';
import { SinkError } from './sink.js';
import { perDatasetSequences, runId, sampleRecords, unusedPort } from './testing/fixtures.js';
import {
  startKinesalite,
  testCredentials as credentials,
  testRegion as region,
  type Kinesalite,
} from './testing/kinesalite.js';

let kinesis: Kinesalite;
let endpoint: string;

beforeAll(async () => {
  kinesis = await startKinesalite();
  endpoint = kinesis.endpoint;
});
afterAll(() => kinesis?.close());

const createStream = (shards: number) => kinesis.createStream(shards);
const readAll = (streamName: string) => kinesis.readAll(streamName);

test('every record arrives in order per dataset; replays carry the dedupe key', async () => {
  const streamName = await createStream(2);
  const records = sampleRecords();
  const sink = new KinesisSink({ streamName, region, endpoint }, { credentials });
  try {
    await sink.publish(records);
    // Kinesis has no server-side dedupe: a replay is appended again, and consumers drop
    // records whose dedupeKey they have seen.
    await sink.publish(records.slice(3, 9));
  } finally {
    await sink.close();
  }

  const stored = await readAll(streamName);
  expect(stored).toHaveLength(records.length + 6);
  for (const { key, record } of stored) {
    expect(key).toBe(kinesisPartitionKey(record));
    expect(record.dedupeKey).toMatch(/^.+\/.+\/.+\/\d+$/u);
  }
  const seen = new Set<string>();
  const deduplicated = stored
    .map((s) => s.record)
    .filter((r) => !seen.has(r.dedupeKey) && Boolean(seen.add(r.dedupeKey)));
  expect(deduplicated).toHaveLength(records.length);
  expect(new Set(deduplicated.map((r) => r.dedupeKey))).toEqual(
    new Set(records.map((r) => r.dedupeKey)),
  );
  // Per shard, hence per partition key, the first publish's order holds.
  expect(perDatasetSequences(deduplicated)).toEqual(perDatasetSequences(records));
});

test('a stream that does not exist is a non-retryable SinkError', async () => {
  const sink = new KinesisSink(
    { streamName: `missing-${runId()}`, region, endpoint },
    { credentials },
  );
  const error = await sink.publish(sampleRecords()).catch((e: unknown) => e);
  await sink.close();
  expect(error).toBeInstanceOf(SinkError);
  expect((error as SinkError).retryable).toBe(false);
});

test('an unreachable endpoint fails fast with a retryable SinkError', async () => {
  const sink = new KinesisSink(
    { streamName: 'any', region, endpoint: `http://127.0.0.1:${await unusedPort()}` },
    { credentials, timeoutMs: 2_000 },
  );
  const started = performance.now();
  const error = await sink.publish(sampleRecords()).catch((e: unknown) => e);
  const elapsed = performance.now() - started;
  await sink.close();
  expect(error).toBeInstanceOf(SinkError);
  expect((error as SinkError).retryable).toBe(true);
  expect(elapsed).toBeLessThan(5_000);
});
