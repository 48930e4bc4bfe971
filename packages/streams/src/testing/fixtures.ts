import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { toStreamRecord, type StreamRecord } from '../record.js';

/** A string unique to this test run, usable in stream names and subjects. */
export const runId = () => randomUUID().replaceAll('-', '').slice(0, 16);

/**
 * Changes of two identities × three datasets, five sync counts each, interleaved the way a
 * change-log consumer would deliver them (commit order, datasets mixed). One dataset name has a
 * dot (merged-dataset names do).
 */
export function sampleRecords(): StreamRecord[] {
  const pool = `us-east-1:${randomUUID()}`;
  const identities = [`us-east-1:${randomUUID()}`, `us-east-1:${randomUUID()}`];
  const datasets = ['settings', 'scores', `notes.us-east-1:${randomUUID()}`];
  const records: StreamRecord[] = [];
  const base = Date.UTC(2026, 10, 27, 12);
  for (let syncCount = 1; syncCount <= 5; syncCount++) {
    for (const identityId of identities) {
      for (const datasetName of datasets) {
        const at = base + records.length;
        records.push(
          toStreamRecord({
            identityPoolId: pool,
            identityId,
            datasetName,
            syncCount,
            kind: syncCount === 5 && datasetName === 'scores' ? 'delete' : 'update',
            records:
              syncCount === 5 && datasetName === 'scores'
                ? []
                : [
                    {
                      key: `k${syncCount}`,
                      value: syncCount === 4 ? null : `v${syncCount}`,
                      syncCount,
                      lastModifiedDate: at,
                      deviceLastModifiedDate: at - 1,
                    },
                  ],
            committedAt: new Date(at),
          }),
        );
      }
    }
  }
  return records;
}

/** A TCP port nothing listens on (bound, then released). */
export async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/** Checks that, per dataset, the received records come in sync-count order, each once. */
export function perDatasetSequences(received: readonly StreamRecord[]): Map<string, number[]> {
  const sequences = new Map<string, number[]>();
  for (const r of received) {
    const key = `${r.identityPoolId}/${r.identityId}/${r.datasetName}`;
    sequences.set(key, [...(sequences.get(key) ?? []), r.syncCount]);
  }
  return sequences;
}
