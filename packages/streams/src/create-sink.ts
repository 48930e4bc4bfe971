import { KinesisSink, type KinesisSinkOptions } from './kinesis.js';
import { NatsSink, type NatsSinkOptions } from './nats.js';
import { RedisSink, type RedisSinkOptions } from './redis.js';
import type { StreamSink } from './sink.js';

/**
 * A pool's sink settings (sync-protocol `streamSinkSchema`, after parsing). Repeated here rather
 * than imported so this package needs no zod; the parsed schema type is assignable to it.
 */
export type SinkSettings =
  | { kind: 'postgres'; retentionDays: number }
  | { kind: 'nats'; host: string; port: number; stream: string; subjectPrefix: string }
  | { kind: 'redis'; host: string; port: number; stream: string }
  | { kind: 'kinesis'; streamName: string; region: string; endpoint?: string | undefined };

export interface CreateSinkOptions {
  nats?: NatsSinkOptions;
  redis?: RedisSinkOptions;
  kinesis?: KinesisSinkOptions;
}

/** The sink for a pool's settings. Connections are made on the first publish. */
export function createSink(settings: SinkSettings, options: CreateSinkOptions = {}): StreamSink {
  switch (settings.kind) {
    case 'nats':
      return new NatsSink(settings, options.nats);
    case 'redis':
      return new RedisSink(settings, options.redis);
    case 'kinesis':
      return new KinesisSink(settings, options.kinesis);
    case 'postgres':
      throw new Error(
        'the postgres sink (the stream table in Tandem’s own database) is not handled by @tandem/streams; the worker writes it',
      );
  }
}
