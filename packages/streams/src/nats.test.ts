import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { natsSubject, NatsSink } from './nats.js';
import type { StreamRecord } from './record.js';
import { SinkError } from './sink.js';
import { perDatasetSequences, runId, sampleRecords, unusedPort } from './testing/fixtures.js';

// The machine's shared NATS: a missing server fails these tests (no skipping).
const host = '127.0.0.1';
const port = 4222;
const id = runId();
const settings = { host, port, stream: `tandem_test_${id}`, subjectPrefix: `tandem-test.${id}` };
let nc: NatsConnection;

beforeAll(async () => {
  nc = await connect({ servers: `${host}:${port}`, timeout: 5_000 });
});
afterAll(async () => {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.delete(settings.stream).catch(() => undefined);
  await nc.close();
});

async function readStream(): Promise<{ subject: string; record: StreamRecord }[]> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(settings.stream);
  const messages = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(settings.stream, { seq });
    if (m) messages.push({ subject: m.subject, record: m.json<StreamRecord>() });
  }
  return messages;
}

test('every record arrives once, in order per dataset, and a replay is deduplicated', async () => {
  const records = sampleRecords();
  const sink = new NatsSink(settings);
  try {
    await sink.publish(records);
    // Replay everything (what a worker does after a crash before its checkpoint).
    await sink.publish(records);
    await sink.publish(records.slice(3, 9));
  } finally {
    await sink.close();
  }

  const stored = await readStream();
  expect(stored).toHaveLength(records.length);
  expect(new Set(stored.map((m) => m.record.dedupeKey))).toEqual(
    new Set(records.map((r) => r.dedupeKey)),
  );
  for (const { subject, record } of stored) {
    expect(subject).toBe(natsSubject(settings.subjectPrefix, record));
    expect(subject.split('.')).toHaveLength(settings.subjectPrefix.split('.').length + 2);
  }
  expect(perDatasetSequences(stored.map((m) => m.record))).toEqual(perDatasetSequences(records));
});

test('the duplicate is acknowledged as such by JetStream', async () => {
  const [record] = sampleRecords();
  if (!record) throw new Error('no record');
  const sink = new NatsSink(settings);
  await sink.publish([record]);
  await sink.close();
  const { jetstream } = await import('@nats-io/jetstream');
  const ack = await jetstream(nc).publish(
    natsSubject(settings.subjectPrefix, record),
    JSON.stringify(record),
    { msgID: record.dedupeKey },
  );
  expect(ack.duplicate).toBe(true);
});

test('an unreachable server fails fast with a retryable SinkError', async () => {
  const sink = new NatsSink({ ...settings, port: await unusedPort() }, { timeoutMs: 2_000 });
  const started = performance.now();
  const error = await sink.publish(sampleRecords()).catch((e: unknown) => e);
  const elapsed = performance.now() - started;
  await sink.close();
  expect(error).toBeInstanceOf(SinkError);
  expect((error as SinkError).retryable).toBe(true);
  expect(elapsed).toBeLessThan(5_000);
});

test('an existing stream gets the sink subject added to its own', async () => {
  const other = runId();
  const existing = {
    ...settings,
    stream: `tandem_test_${other}`,
    subjectPrefix: `tandem-test.${other}`,
  };
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: existing.stream, subjects: [`tandem-test-own.${other}`] });
  try {
    const sink = new NatsSink(existing);
    await sink.publish(sampleRecords().slice(0, 2));
    await sink.close();
    const info = await jsm.streams.info(existing.stream);
    expect(info.config.subjects).toEqual([
      `tandem-test-own.${other}`,
      `${existing.subjectPrefix}.>`,
    ]);
    expect(info.state.messages).toBe(2);
  } finally {
    await jsm.streams.delete(existing.stream);
  }
});
