/**
 * Every local store adapter keeps the same contract (store/types.ts). Run against memory, the
 * file store and IndexedDB (fake-indexeddb, a faithful in-memory implementation of the spec).
 */
import { mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { afterAll, describe, expect, test } from 'vitest';
import { fileStore } from '../node/file-store.js';
import { indexedDbStore } from './indexeddb.js';
import { memoryStore } from './memory.js';
import { newDatasetMeta, type LocalRecord, type LocalStore } from './types.js';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'tandem-store-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

const record = (
  key: string,
  value: string | null,
  extra: Partial<LocalRecord> = {},
): LocalRecord => ({
  key,
  value,
  syncCount: 0,
  lastModifiedDate: 1,
  lastModifiedBy: null,
  deviceLastModifiedDate: 1,
  modified: true,
  localVersion: 1,
  pushed: null,
  ...extra,
});

interface Adapter {
  name: string;
  open(): Promise<{ store: LocalStore; reopen: (() => Promise<LocalStore>) | null }>;
}

const adapters: Adapter[] = [
  { name: 'memory', open: async () => ({ store: memoryStore(), reopen: null }) },
  {
    name: 'file',
    async open() {
      const directory = await tempDir();
      return { store: await fileStore({ directory }), reopen: () => fileStore({ directory }) };
    },
  },
  {
    name: 'indexeddb',
    async open() {
      const factory = new IDBFactory();
      return {
        store: await indexedDbStore({ indexedDB: factory, IDBKeyRange, name: 'contract' }),
        reopen: () => indexedDbStore({ indexedDB: factory, IDBKeyRange, name: 'contract' }),
      };
    },
  },
];

describe.each(adapters)('$name store', (adapter) => {
  test('transact sees what it asked for and commits its writes together', async () => {
    const { store } = await adapter.open();
    await store.transact('ns', 'ds', ['a', 'b'], (view) => {
      expect(view.meta).toBeNull();
      expect(view.records.size).toBe(0);
      return {
        result: null,
        writes: {
          meta: { ...newDatasetMeta('ds'), localClock: 2 },
          put: [record('a', '1'), record('b', '2'), record('c', '3')],
        },
      };
    });
    const some = await store.read('ns', 'ds', ['a', 'missing']);
    expect([...some.records.keys()]).toEqual(['a']);
    expect(some.meta?.localClock).toBe(2);
    const all = await store.read('ns', 'ds', 'all');
    expect([...all.records.values()].map((r) => r.value).sort()).toEqual(['1', '2', '3']);
    expect(await store.listDatasets('ns')).toEqual([{ ...newDatasetMeta('ds'), localClock: 2 }]);
    expect(await store.listDatasets('other')).toEqual([]);

    await store.transact('ns', 'ds', ['a'], () => ({ result: null, writes: { delete: ['a'] } }));
    expect((await store.read('ns', 'ds', 'all')).records.has('a')).toBe(false);
    await store.close();
  });

  test('a transaction that throws writes nothing', async () => {
    const { store } = await adapter.open();
    await store.transact('ns', 'ds', [], () => ({
      result: null,
      writes: { meta: newDatasetMeta('ds'), put: [record('k', 'before')] },
    }));
    await expect(
      store.transact('ns', 'ds', ['k'], () => {
        throw new Error('app bug');
      }),
    ).rejects.toThrow('app bug');
    expect((await store.read('ns', 'ds', ['k'])).records.get('k')?.value).toBe('before');
    await store.close();
  });

  test('concurrent read-modify-write transactions never lose an increment', async () => {
    const { store } = await adapter.open();
    await Promise.all(
      Array.from({ length: 50 }, () =>
        store.transact('ns', 'counter', [], (view) => {
          const meta = view.meta ?? newDatasetMeta('counter');
          return { result: null, writes: { meta: { ...meta, localClock: meta.localClock + 1 } } };
        }),
      ),
    );
    expect((await store.read('ns', 'counter', [])).meta?.localClock).toBe(50);
    await store.close();
  });

  test('meta null forgets a dataset; dropNamespace forgets an identity', async () => {
    const { store } = await adapter.open();
    for (const [ns, ds] of [
      ['guest', 'a'],
      ['guest', 'b'],
      ['user', 'a'],
    ] as const) {
      await store.transact(ns, ds, [], () => ({
        result: null,
        writes: { meta: newDatasetMeta(ds), put: [record('k', `${ns}/${ds}`)] },
      }));
    }
    await store.transact('guest', 'a', [], () => ({ result: null, writes: { meta: null } }));
    expect((await store.listDatasets('guest')).map((m) => m.name)).toEqual(['b']);
    expect((await store.read('guest', 'a', 'all')).records.size).toBe(0);
    await store.dropNamespace('guest');
    expect(await store.listDatasets('guest')).toEqual([]);
    expect((await store.read('user', 'a', ['k'])).records.get('k')?.value).toBe('user/a');
    await store.setItem('session', 'token');
    expect(await store.getItem('session')).toBe('token');
    await store.setItem('session', null);
    expect(await store.getItem('session')).toBeNull();
    await store.close();
  });
});

describe.each(adapters.filter((a) => a.name !== 'memory'))('$name store, durable', (adapter) => {
  test('data survives closing and reopening', async () => {
    const { store, reopen } = await adapter.open();
    await store.setItem('deviceId', 'd1');
    await store.transact('ns', 'ds', [], () => ({
      result: null,
      writes: { meta: { ...newDatasetMeta('ds'), lastSyncCount: 7 }, put: [record('k', 'v')] },
    }));
    await store.close();
    const again = await reopen!();
    expect(await again.getItem('deviceId')).toBe('d1');
    const view = await again.read('ns', 'ds', 'all');
    expect(view.meta?.lastSyncCount).toBe(7);
    expect(view.records.get('k')).toEqual(record('k', 'v'));
    await again.close();
  });
});

describe('file store', () => {
  test('a torn last line (crash mid-append) is ignored; earlier transactions survive', async () => {
    const directory = await tempDir();
    const store = await fileStore({ directory });
    await store.transact('ns', 'ds', [], () => ({
      result: null,
      writes: { meta: newDatasetMeta('ds'), put: [record('k', 'kept')] },
    }));
    await store.close();
    // What a kill during the next append leaves behind:
    await appendFile(
      path.join(directory, 'journal.jsonl'),
      '{"op":"commit","ns":"ns","ds":"ds","wri',
    );
    const reopened = await fileStore({ directory });
    expect((await reopened.read('ns', 'ds', ['k'])).records.get('k')?.value).toBe('kept');
    await reopened.close();
  });

  test('the journal is compacted as it grows', async () => {
    const directory = await tempDir();
    const store = await fileStore({ directory, durable: false });
    const value = 'x'.repeat(1000);
    for (let i = 0; i < 400; i += 1) {
      await store.transact('ns', 'ds', ['k'], () => ({
        result: null,
        writes: { meta: newDatasetMeta('ds'), put: [record('k', `${i}${value}`)] },
      }));
    }
    await store.close();
    const size = (await readFile(path.join(directory, 'journal.jsonl'))).length;
    expect(size).toBeLessThan(400 * 1000); // 400 KB written, one record live
    const reopened = await fileStore({ directory });
    expect((await reopened.read('ns', 'ds', ['k'])).records.get('k')?.value).toBe(`399${value}`);
    await reopened.close();
  });

  test('a directory in use by another running process is refused', async () => {
    const directory = await tempDir();
    // PID 1 always runs; a lock naming it belongs to someone else.
    await writeFile(path.join(directory, 'journal.lock'), '1');
    await expect(fileStore({ directory })).rejects.toThrow(/in use by process 1/);
    // A lock left by a dead process is taken over.
    await writeFile(path.join(directory, 'journal.lock'), '999999999');
    const store = await fileStore({ directory });
    await store.close();
  });
});
