/**
 * kinesalite (a Kinesis implementation in Node) in the test's process, with the AWS SDK client
 * the tests read back with: what the Kinesis suites share.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import kinesalite from 'kinesalite';
import type { StreamRecord } from '../record.js';
import { silenceAwsSdkNodeWarning } from './env.js';
import { runId } from './fixtures.js';

/** kinesalite accepts any key; against AWS the default provider chain supplies them. */
export const testCredentials = { accessKeyId: 'test', secretAccessKey: 'test' };
export const testRegion = 'us-east-1';

export interface Kinesalite {
  endpoint: string;
  client: KinesisClient;
  /** A new ACTIVE stream with `shards` shards; returns its name. */
  createStream(shards: number): Promise<string>;
  /** Every record of every shard, each shard in its order (shards concatenated). */
  readAll(streamName: string): Promise<{ key: string; record: StreamRecord }[]>;
  close(): Promise<void>;
}

export async function startKinesalite(): Promise<Kinesalite> {
  silenceAwsSdkNodeWarning();
  const server: Server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new KinesisClient({
    region: testRegion,
    endpoint,
    credentials: testCredentials,
    requestHandler: new NodeHttpHandler(),
  });
  return {
    endpoint,
    client,
    async createStream(shards) {
      const StreamName = `tandem-test-${runId()}`;
      await client.send(new CreateStreamCommand({ StreamName, ShardCount: shards }));
      for (;;) {
        const { StreamDescription } = await client.send(new DescribeStreamCommand({ StreamName }));
        if (StreamDescription?.StreamStatus === 'ACTIVE') return StreamName;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async readAll(StreamName) {
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
    },
    async close() {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
