import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { KinesisSink, kinesisPartitionKey } from './kinesis.js';
import type { StreamRecord } from './record.js';
import { SinkError } from './sink.js';
import { perDatasetSequences, runId, sampleRecords, unusedPort } from './testing/fixtures.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const region = 'us-east-1';
let server: Server;
let endpoint: string;
let client: KinesisClient;

beforeAll(async () => {
  server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  client = new KinesisClient({
    region,
    endpoint,
    credentials,
    requestHandler: new NodeHttpHandler(),
  });
});
afterAll(async () => {
  client?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

async function createStream(shards: number): Promise<string> {
  const StreamName = `tandem-test-${runId()}`;
  await client.send(new CreateStreamCommand({ StreamName, ShardCount: shards }));
  for (;;) {
    const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName }));
    if (StreamDescription?.StreamStatus === 'ACTIVE') return StreamName;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every record of every shard, each shard in its order (shards concatenated). */
async function readAll(StreamName: string): Promise<{ key: string; record: StreamRecord }[]> {
  const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName }));
  const out = [];
  for (const shard of StreamDescription?.Shards ?? []) {
    let { ShardIterator } = await client.send(
      new GetShardIteratorCommand({
        StreamName,
        ShardId: shard.ShardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (ShardIterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator }));
      for (const r of page.Records ?? []) {
        out.push({
          key: r.PartitionKey ?? '',
          record: JSON.parse(new TextDecoder().decode(r.Data)) as StreamRecord,
        });
      }
      if (!page.Records?.length) break;
      ShardIterator = page.NextShardIterator;
    }
  }
  return out;
}

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
