import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { StreamRecord } from './record.js';
import { hashTag, redisDedupeKey, RedisSink } from './redis.js';
import { SinkError } from './sink.js';
import { perDatasetSequences, runId, sampleRecords, unusedPort } from './testing/fixtures.js';

// The machine's shared Redis: a missing server fails these tests (no skipping).
const settings = { host: '127.0.0.1', port: 6379, stream: `tandem-test:${runId()}` };
let redis: Redis;

beforeAll(async () => {
  redis = new Redis({ host: settings.host, port: settings.port, lazyConnect: true });
  await redis.connect();
});
afterAll(async () => {
  // SCAN, not KEYS: this Redis is shared.
  const dedupeKeys: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${settings.stream}}:*`, 'COUNT', 1000);
    cursor = next;
    dedupeKeys.push(...keys);
  } while (cursor !== '0');
  await redis.del(settings.stream, ...dedupeKeys);
  await redis.quit();
});

test('every record arrives once, in order per dataset, and a replay is deduplicated', async () => {
  const records = sampleRecords();
  const sink = new RedisSink(settings, { maxLength: 10_000 });
  try {
    await sink.publish(records);
    await sink.publish(records);
    await sink.publish(records.slice(3, 9));
  } finally {
    await sink.close();
  }

  const entries = await redis.xrange(settings.stream, '-', '+');
  expect(entries).toHaveLength(records.length);
  const stored = entries.map(([, fields]) => {
    const map = Object.fromEntries(
      fields.flatMap((_, i) => (i % 2 === 0 ? [[fields[i], fields[i + 1]]] : [])),
    ) as { dedupeKey: string; record: string };
    const record = JSON.parse(map.record) as StreamRecord;
    expect(map.dedupeKey).toBe(record.dedupeKey);
    return record;
  });
  expect(new Set(stored.map((r) => r.dedupeKey))).toEqual(new Set(records.map((r) => r.dedupeKey)));
  expect(perDatasetSequences(stored)).toEqual(perDatasetSequences(records));
  // Dedupe keys expire and share the stream's hash slot.
  const [first] = records;
  if (!first) throw new Error('no record');
  const ttl = await redis.pttl(redisDedupeKey(settings.stream, first));
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(60 * 60 * 1000);
});

test('dedupe keys hash like the stream key', () => {
  expect(hashTag('plain')).toBe('plain');
  expect(hashTag('a{tag}b')).toBe('tag');
  expect(hashTag('a{}b')).toBe('a{}b');
  const [record] = sampleRecords();
  if (!record) throw new Error('no record');
  expect(hashTag(redisDedupeKey('a{tag}b', record))).toBe('tag');
  expect(hashTag(redisDedupeKey('plain', record))).toBe('plain');
});

test('an unreachable server fails fast with a retryable SinkError', async () => {
  const sink = new RedisSink({ ...settings, port: await unusedPort() }, { timeoutMs: 2_000 });
  const started = performance.now();
  const error = await sink.publish(sampleRecords()).catch((e: unknown) => e);
  const elapsed = performance.now() - started;
  await sink.close();
  expect(error).toBeInstanceOf(SinkError);
  expect((error as SinkError).retryable).toBe(true);
  expect(elapsed).toBeLessThan(5_000);
});
