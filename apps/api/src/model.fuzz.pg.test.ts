/**
 * Model-based fuzzing of the real API (perf-reliability §D: R1, R2, R3) against the independent
 * model in testing/sync-model.ts.
 *
 * Property 1: 2–4 devices of ONE identity (one tRPC client each) run random sequences of
 * ListRecords (paged, sometimes with a write landing mid-pagination, plus probes since counts
 * around deletions and past the current count), UpdateRecords (with the
 * device's own, possibly stale, knowledge of per-key counts), deliberately stale
 * UpdateRecords, empty UpdateRecords, DeleteDataset and DescribeDataset over two datasets.
 * Every response must equal the model's; after every pull the device's local replica must agree
 * with the server up to its lastSyncCount (no gaps, R3); after every run the acknowledged writes
 * must form per-key chains whose last link is what the server holds (R1).
 *
 * Property 2 (R2): 3–6 devices pull, then all write the same key with the same base count at
 * once: exactly one wins, the rest get 409, and the dataset count rises by exactly one.
 *
 * Each run uses a fresh identity pool, hence a fresh identity. On failure fast-check prints the
 * seed, path and shrunk command list (with a replayPath comment); replay with
 * FC_SEED=<seed> FC_PATH=<path> FC_REPLAY_PATH=<replayPath> and -t to pick the test.
 * FC_NUM_RUNS scales the number of runs (e.g. for a nightly long mode; raise FC_TIME_LIMIT_MS
 * with it).
 */
import type { ListRecordsResponse, RecordPatch, SyncRecord } from '@tandem/sync-protocol';
import { TRPCClientError } from '@trpc/client';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  AckHistory,
  conflictMessage,
  pullOrder,
  SyncModel,
  type ModelPatch,
  type ModelRecord,
} from './testing/sync-model.js';
import { startHarness, type ApiClient, type Harness, type TestUser } from './testing/harness.js';

let h: Harness;
let user: TestUser;
beforeAll(async () => {
  h = await startHarness();
  user = await h.signUp(); // one account; each run gets its own identity through a fresh pool
});
afterAll(() => h?.close());

const envInt = (name: string): number | undefined => {
  const raw = process.env[name];
  return raw ? Number(raw) : undefined;
};

const DATASETS = ['notes', 'game.state'] as const;
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'] as const;
const MAX_DEVICES = 4;
const MAX_PAGES = 64;
const MAX_COMMANDS = 25;
const TIME_LIMIT_MS = envInt('FC_TIME_LIMIT_MS') ?? 200_000;
/** Commands shrink along a path of their own, printed as `replayPath` in the counterexample. */
const replayPath = process.env['FC_REPLAY_PATH']
  ? { replayPath: process.env['FC_REPLAY_PATH'] }
  : {};

/** fast-check parameters: replayable from the printed seed/path, scalable run count. */
function fcParams(numRuns: number): fc.Parameters<unknown> {
  const seed = envInt('FC_SEED');
  const path = process.env['FC_PATH'];
  return {
    numRuns: envInt('FC_NUM_RUNS') ?? numRuns,
    ...(seed === undefined ? {} : { seed }),
    ...(path ? { path } : {}),
    // Bound the whole assert (runs + shrinking) below the test timeout so the report is printed.
    interruptAfterTimeLimit: TIME_LIMIT_MS,
    markInterruptAsFailure: true,
  };
}

// ---------------------------------------------------------------------------------------------
// Devices: what an SDK keeps locally per dataset.

interface LocalRecord {
  value: string | null;
  syncCount: number;
}
interface DeviceDataset {
  lastSyncCount: number;
  known: Map<string, LocalRecord>;
  /** SyncSessionToken of the device's last pull of this dataset. */
  token: string;
}
interface Device {
  index: number;
  deviceId: string;
  client: ApiClient;
  datasets: Map<string, DeviceDataset>;
}
interface Real {
  identityPoolId: string;
  identityId: string;
  devices: Device[];
  history: AckHistory;
}
interface Model {
  sync: SyncModel;
  nDevices: number;
}

type Outcome<T> =
  { ok: true; value: T } | { ok: false; error: { kind: string; status: number; message: string } };

async function outcomeOf<T>(call: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await call };
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { cognitoError?: string; httpStatus?: number } | undefined;
    return {
      ok: false,
      error: {
        kind: data?.cognitoError ?? 'untyped',
        status: data?.httpStatus ?? 0,
        message: error.message,
      },
    };
  }
}

/** The fields of a record the model predicts (dates other than the device's are server clock). */
const view = (r: SyncRecord | ModelRecord) => ({
  key: r.key,
  value: r.value,
  syncCount: r.syncCount,
  lastModifiedBy: r.lastModifiedBy,
  deviceLastModifiedDate: r.deviceLastModifiedDate,
});

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out.length > 0 ? out : [[]];
};

async function listPage(
  r: Real,
  device: Device,
  datasetName: string,
  lastSyncCount: number | undefined,
  maxResults: number | undefined,
  nextToken: string | undefined,
): Promise<ListRecordsResponse> {
  return device.client.record.list.query({
    identityPoolId: r.identityPoolId,
    datasetName,
    ...(lastSyncCount === undefined ? {} : { lastSyncCount }),
    ...(maxResults === undefined ? {} : { maxResults }),
    ...(nextToken === undefined ? {} : { nextToken }),
  });
}

/** Pages on from `first` (or from the start) until there is no NextToken. */
async function pullPages(
  r: Real,
  device: Device,
  datasetName: string,
  lastSyncCount: number | undefined,
  maxResults: number | undefined,
  first?: ListRecordsResponse,
): Promise<ListRecordsResponse[]> {
  const pages = [
    first ?? (await listPage(r, device, datasetName, lastSyncCount, maxResults, undefined)),
  ];
  while (pages.at(-1)!.nextToken !== null) {
    if (pages.length >= MAX_PAGES)
      throw new Error(`more than ${MAX_PAGES} pages: pagination does not end`);
    pages.push(
      await listPage(r, device, datasetName, lastSyncCount, maxResults, pages.at(-1)!.nextToken!),
    );
  }
  return pages;
}

/** Page-level fields: what every page of one pull must report. */
const pageFields = (p: ListRecordsResponse, withLastModifiedBy: boolean) => ({
  count: p.records.length === p.count ? 'page length' : p.count,
  datasetSyncCount: p.datasetSyncCount,
  datasetExists: p.datasetExists,
  datasetDeletedAfterRequestedSyncCount: p.datasetDeletedAfterRequestedSyncCount,
  mergedDatasetNames: p.mergedDatasetNames,
  hasSessionToken: p.syncSessionToken.length > 0,
  ...(withLastModifiedBy ? { lastModifiedBy: p.lastModifiedBy } : {}),
});

interface ExpectedPull {
  records: ModelRecord[];
  datasetSyncCount: number;
  datasetExists: boolean;
  datasetDeletedAfterRequestedSyncCount: boolean;
  /** undefined: not checked. */
  lastModifiedBy?: string | null | undefined;
}

const expectedPageFields = (expected: ExpectedPull) => ({
  count: 'page length',
  datasetSyncCount: expected.datasetSyncCount,
  datasetExists: expected.datasetExists,
  datasetDeletedAfterRequestedSyncCount: expected.datasetDeletedAfterRequestedSyncCount,
  mergedDatasetNames: null,
  hasSessionToken: true,
  ...(expected.lastModifiedBy === undefined ? {} : { lastModifiedBy: expected.lastModifiedBy }),
});

function expectPages(pages: ListRecordsResponse[], expected: ExpectedPull, pageSize: number): void {
  expect(pages.map((p) => p.records.map(view))).toEqual(
    chunks(expected.records.map(view), pageSize),
  );
  const fields = expectedPageFields(expected);
  expect(pages.map((p) => pageFields(p, 'lastModifiedBy' in fields))).toEqual(
    pages.map(() => fields),
  );
}

/** What a device does with a finished pull (as the Android/iOS SDKs do). */
function applyPull(
  local: DeviceDataset,
  requested: number | undefined,
  pages: ListRecordsResponse[],
): void {
  const last = pages.at(-1)!;
  // A pull from 0 is the whole dataset; a deletion since the last sync means start over.
  if ((requested ?? 0) === 0 || last.datasetDeletedAfterRequestedSyncCount || !last.datasetExists)
    local.known.clear();
  for (const page of pages)
    for (const rec of page.records)
      local.known.set(rec.key, { value: rec.value, syncCount: rec.syncCount });
  local.lastSyncCount = last.datasetSyncCount;
  local.token = last.syncSessionToken;
}

/**
 * R3 "no gaps": after a pull the device holds exactly the server's record for every key the
 * server last wrote at or before the device's lastSyncCount, only older versions of keys written
 * later, and nothing the server does not have.
 */
function expectDeviceAgrees(local: DeviceDataset, model: SyncModel, datasetName: string): void {
  const ds = model.dataset(datasetName);
  const server = ds?.exists ? ds.records : new Map<string, ModelRecord>();
  const problems: string[] = [];
  for (const [key, mine] of local.known) {
    const theirs = server.get(key);
    if (!theirs) problems.push(`${key}: device holds ${JSON.stringify(mine)}, server has nothing`);
    else if (theirs.syncCount <= local.lastSyncCount) {
      if (mine.value !== theirs.value || mine.syncCount !== theirs.syncCount) {
        problems.push(
          `${key}: device holds ${JSON.stringify(mine)}, server ${JSON.stringify(view(theirs))}`,
        );
      }
    } else if (mine.syncCount >= theirs.syncCount) {
      problems.push(`${key}: device count ${mine.syncCount} not below server ${theirs.syncCount}`);
    }
  }
  for (const [key, theirs] of server) {
    if (theirs.syncCount <= local.lastSyncCount && !local.known.has(key)) {
      problems.push(
        `${key}: server has ${JSON.stringify(view(theirs))} at or before lastSyncCount ${local.lastSyncCount}, device missed it`,
      );
    }
  }
  expect(problems).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Commands.

interface PatchSpec {
  key: string;
  op: 'replace' | 'remove';
  value: string;
  /** Clients send a value with remove too (spec §7.5); the server must ignore it. */
  sendValueWithRemove: boolean;
  deviceLastModifiedDate: number | undefined;
}

const toPatch = (s: PatchSpec, syncCount: number): RecordPatch & ModelPatch => ({
  op: s.op,
  key: s.key,
  syncCount,
  ...(s.op === 'replace' || s.sendValueWithRemove ? { value: s.value } : {}),
  ...(s.deviceLastModifiedDate === undefined
    ? {}
    : { deviceLastModifiedDate: s.deviceLastModifiedDate }),
});

const showPatches = (specs: readonly PatchSpec[]) =>
  specs
    .map((s) => (s.op === 'replace' ? `${s.key}=${JSON.stringify(s.value)}` : `-${s.key}`))
    .join(',');

/** UpdateRecords through `device`, checked against the model (which it advances on success). */
async function pushAndCheck(
  m: Model,
  r: Real,
  device: Device,
  datasetName: string,
  patches: Array<RecordPatch & ModelPatch>,
  withDeviceId: boolean,
): Promise<void> {
  const local = device.datasets.get(datasetName)!;
  const writer = withDeviceId ? device.deviceId : r.identityId;
  const expected = m.sync.updateRecords(datasetName, patches, writer);
  const got = await outcomeOf(
    device.client.record.update.mutate({
      identityPoolId: r.identityPoolId,
      datasetName,
      recordPatches: patches,
      syncSessionToken: local.token,
      ...(withDeviceId ? { deviceId: device.deviceId } : {}),
    }),
  );
  const actual = got.ok
    ? { ok: true, records: got.value.records.map(view) }
    : { ok: false, error: got.error };
  switch (expected.kind) {
    case 'ok': {
      expect(actual).toEqual({ ok: true, records: expected.records.map(view) });
      if (patches.length === 0) return;
      for (const rec of expected.records)
        local.known.set(rec.key, { value: rec.value, syncCount: rec.syncCount });
      r.history.write(datasetName, expected.datasetSyncCount, expected.records);
      // Fast-forward only when nothing else happened in between (Android/iOS rule, spec §7.2).
      if (expected.datasetSyncCount === local.lastSyncCount + 1)
        local.lastSyncCount = expected.datasetSyncCount;
      return;
    }
    case 'conflict': {
      // Which conflicting key is named is not fixed by the spec; it must be one of them.
      const allowed = expected.all.map(conflictMessage);
      const message =
        !got.ok && allowed.includes(got.error.message) ? got.error.message : allowed[0];
      expect(actual).toEqual({
        ok: false,
        error: { kind: 'ResourceConflictException', status: 409, message },
      });
      return;
    }
    case 'limit':
      expect(actual).toEqual({
        ok: false,
        error: { kind: 'LimitExceededException', status: 400, message: expect.any(String) },
      });
      return;
    case 'invalid':
      expect(actual).toEqual({
        ok: false,
        error: { kind: 'InvalidParameterException', status: 400, message: expect.any(String) },
      });
      return;
  }
}

type Cmd = fc.AsyncCommand<Model, Real>;

class PullCommand implements Cmd {
  constructor(
    readonly device: number,
    readonly datasetName: string,
    readonly maxResults: number | undefined,
    /** Pull everything (lastSyncCount omitted), as a fresh install would. */
    readonly fromScratch: boolean,
  ) {}
  check = (m: Readonly<Model>) => this.device < m.nDevices;
  async run(m: Model, r: Real): Promise<void> {
    const device = r.devices[this.device]!;
    const local = device.datasets.get(this.datasetName)!;
    const requested = this.fromScratch ? undefined : local.lastSyncCount;
    const expected = m.sync.listRecords(this.datasetName, requested);
    const pages = await pullPages(r, device, this.datasetName, requested, this.maxResults);
    expectPages(pages, expected, this.maxResults ?? 1024);
    applyPull(local, requested, pages);
    expectDeviceAgrees(local, m.sync, this.datasetName);
  }
  toString = () =>
    `Pull(d${this.device}, ${this.datasetName}, ${this.fromScratch ? 'all' : 'since last'}${this.maxResults ? `, max ${this.maxResults}` : ''})`;
}

/** Where a probe's lastSyncCount lands, relative to the dataset's counts at run time. */
type SinceAt =
  'zero' | 'random' | 'deletedAt-1' | 'deletedAt' | 'deletedAt+1' | 'current' | 'current+1';

/**
 * R3 probe: ListRecords since a count outside any device's state (0, around the latest
 * deletion, at and past the current count, or anywhere): exactly the records with syncCount > k,
 * or the whole incarnation (and the flag) when the dataset was deleted at or after k.
 */
class PullSinceCommand implements Cmd {
  constructor(
    readonly device: number,
    readonly datasetName: string,
    readonly at: SinceAt,
    readonly random: number,
    readonly maxResults: number | undefined,
  ) {}
  check = (m: Readonly<Model>) => this.device < m.nDevices;
  since(m: Model): number {
    const ds = m.sync.dataset(this.datasetName);
    const current = ds?.syncCount ?? 0;
    const deletedAt = ds?.deletedAtSyncCount ?? null;
    switch (this.at) {
      case 'zero':
        return 0;
      case 'current':
        return current;
      case 'current+1':
        return current + 1;
      case 'random':
        return this.random % (current + 2);
      default:
        if (deletedAt === null) return this.random % (current + 2);
        return deletedAt + (this.at === 'deletedAt' ? 0 : this.at === 'deletedAt-1' ? -1 : 1);
    }
  }
  async run(m: Model, r: Real): Promise<void> {
    const device = r.devices[this.device]!;
    const k = this.since(m);
    const pages = await pullPages(r, device, this.datasetName, k, this.maxResults);
    expectPages(pages, m.sync.listRecords(this.datasetName, k), this.maxResults ?? 1024);
  }
  toString = () =>
    `PullSince(d${this.device}, ${this.datasetName}, ${this.at === 'random' ? `${this.random} mod (count+2)` : this.at}${this.maxResults ? `, max ${this.maxResults}` : ''})`;
}

/** R3: a pager with a write by another device landing between its pages. */
class PullAcrossWriteCommand implements Cmd {
  constructor(
    readonly device: number,
    readonly writer: number,
    readonly datasetName: string,
    readonly maxResults: number,
    readonly writes: PatchSpec[],
  ) {}
  check = (m: Readonly<Model>) =>
    this.device < m.nDevices && this.writer < m.nDevices && this.device !== this.writer;
  async run(m: Model, r: Real): Promise<void> {
    const device = r.devices[this.device]!;
    const local = device.datasets.get(this.datasetName)!;
    const requested = local.lastSyncCount;
    const before = m.sync.listRecords(this.datasetName, requested);
    const first = await listPage(
      r,
      device,
      this.datasetName,
      requested,
      this.maxResults,
      undefined,
    );
    if (first.nextToken === null) {
      expectPages([first], before, this.maxResults);
      applyPull(local, requested, [first]);
      expectDeviceAgrees(local, m.sync, this.datasetName);
      return;
    }
    expect(first.records.map(view)).toEqual(before.records.slice(0, this.maxResults).map(view));
    expect(pageFields(first, true)).toEqual(expectedPageFields(before));

    // Another device writes (with the right counts, as if it had just pulled).
    const writer = r.devices[this.writer]!;
    const patches = this.writes.map((s) => toPatch(s, m.sync.storedCount(this.datasetName, s.key)));
    await pushAndCheck(m, r, writer, this.datasetName, patches, false);

    // The rest of the pull stays within the first page's bound; what moved past it comes next time.
    const pages = await pullPages(r, device, this.datasetName, requested, this.maxResults, first);
    const lastSeen = first.records.at(-1)!;
    const remaining = m.sync
      .recordsInWindow(this.datasetName, before.since, before.datasetSyncCount)
      .filter((rec) => pullOrder(rec, lastSeen) > 0);
    expectPages(
      pages.slice(1),
      { ...before, lastModifiedBy: undefined, records: remaining },
      this.maxResults,
    );
    applyPull(local, requested, pages);
    expectDeviceAgrees(local, m.sync, this.datasetName);
  }
  toString = () =>
    `PullAcrossWrite(d${this.device}, ${this.datasetName}, max ${this.maxResults}, d${this.writer} writes ${showPatches(this.writes)})`;
}

class PushCommand implements Cmd {
  constructor(
    readonly device: number,
    readonly datasetName: string,
    readonly specs: PatchSpec[],
    readonly withDeviceId: boolean,
    /** Deliberately wrong count on one patch: the server's count plus `offset`. */
    readonly stale: { index: number; offset: number } | null,
  ) {}
  check = (m: Readonly<Model>) => this.device < m.nDevices;
  async run(m: Model, r: Real): Promise<void> {
    const device = r.devices[this.device]!;
    const local = device.datasets.get(this.datasetName)!;
    const patches = this.specs.map((s) => toPatch(s, local.known.get(s.key)?.syncCount ?? 0));
    if (this.stale && patches.length > 0) {
      const patch = patches[this.stale.index % patches.length]!;
      const right = m.sync.storedCount(this.datasetName, patch.key);
      const wrong = right + this.stale.offset;
      patch.syncCount = wrong >= 0 ? wrong : right + Math.abs(this.stale.offset);
    }
    await pushAndCheck(m, r, device, this.datasetName, patches, this.withDeviceId);
  }
  toString = () =>
    `${this.stale ? `PushStale[#${this.stale.index} ${this.stale.offset > 0 ? '+' : ''}${this.stale.offset}]` : 'Push'}(d${this.device}, ${this.datasetName}, ${showPatches(this.specs) || 'no patches'}${this.withDeviceId ? ', deviceId' : ''})`;
}

const datasetView = (d: {
  datasetName: string;
  syncCount: number;
  numRecords: number;
  dataStorage: number;
  lastModifiedBy: string | null;
}) => ({
  datasetName: d.datasetName,
  syncCount: d.syncCount,
  numRecords: d.numRecords,
  dataStorage: d.dataStorage,
  lastModifiedBy: d.lastModifiedBy,
});

class DeleteDatasetCommand implements Cmd {
  constructor(
    readonly device: number,
    readonly datasetName: string,
  ) {}
  check = (m: Readonly<Model>) => this.device < m.nDevices;
  async run(m: Model, r: Real): Promise<void> {
    const device = r.devices[this.device]!;
    const expected = m.sync.deleteDataset(this.datasetName, r.identityId);
    const got = await outcomeOf(
      device.client.dataset.delete.mutate({
        identityPoolId: r.identityPoolId,
        datasetName: this.datasetName,
      }),
    );
    const actual = got.ok
      ? {
          ok: true,
          identityId: got.value.dataset.identityId,
          dataset: datasetView(got.value.dataset),
        }
      : { ok: false, error: got.error };
    if (expected.kind === 'notFound') {
      expect(actual).toEqual({
        ok: false,
        error: { kind: 'ResourceNotFoundException', status: 404, message: expect.any(String) },
      });
      return;
    }
    expect(actual).toEqual({ ok: true, identityId: r.identityId, dataset: expected.dataset });
    r.history.deleted(this.datasetName, expected.deletedAtSyncCount!);
    // The deleting device starts over locally.
    const local = device.datasets.get(this.datasetName)!;
    local.known.clear();
    local.lastSyncCount = 0;
  }
  toString = () => `DeleteDataset(d${this.device}, ${this.datasetName})`;
}

class DescribeDatasetCommand implements Cmd {
  constructor(
    readonly device: number,
    readonly datasetName: string,
  ) {}
  check = (m: Readonly<Model>) => this.device < m.nDevices;
  async run(m: Model, r: Real): Promise<void> {
    const device = r.devices[this.device]!;
    const expected = m.sync.describeDataset(this.datasetName);
    const got = await outcomeOf(
      device.client.dataset.describe.query({
        identityPoolId: r.identityPoolId,
        datasetName: this.datasetName,
      }),
    );
    const actual = got.ok
      ? {
          ok: true,
          identityId: got.value.dataset.identityId,
          dataset: datasetView(got.value.dataset),
        }
      : { ok: false, error: got.error };
    expect(actual).toEqual(
      expected.kind === 'ok'
        ? { ok: true, identityId: r.identityId, dataset: expected.dataset }
        : {
            ok: false,
            error: { kind: 'ResourceNotFoundException', status: 404, message: expect.any(String) },
          },
    );
  }
  toString = () => `DescribeDataset(d${this.device}, ${this.datasetName})`;
}

// ---------------------------------------------------------------------------------------------
// Arbitraries.

const datasetArb = fc.constantFrom(...DATASETS);
const valueArb = fc.oneof(
  fc.constantFrom('', 'on', 'off'),
  fc.string({ maxLength: 6, unit: fc.constantFrom('a', 'b', 'z', ' ', '"', 'é', '€', '😀') }),
);
const patchSpecArb: fc.Arbitrary<PatchSpec> = fc.record({
  key: fc.constantFrom(...KEYS),
  op: fc.constantFrom<PatchSpec['op']>('replace', 'replace', 'remove'),
  value: valueArb,
  sendValueWithRemove: fc.boolean(),
  deviceLastModifiedDate: fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }), {
    nil: undefined,
  }),
});
const patchesArb = fc.uniqueArray(patchSpecArb, {
  minLength: 1,
  maxLength: 3,
  selector: (s) => s.key,
});
const maxResultsArb = fc.constantFrom<number | undefined>(undefined, 1, 2, 3);

/** The command mix for `nDevices` devices (weights: pulls and pushes dominate). */
function commandArbs(nDevices: number): Array<fc.Arbitrary<Cmd>> {
  const deviceArb = fc.nat({ max: nDevices - 1 });
  const pull = fc
    .tuple(deviceArb, datasetArb, maxResultsArb, fc.constantFrom(false, false, false, false, true))
    .map(([d, ds, max, scratch]) => new PullCommand(d, ds, max, scratch));
  const push = fc.oneof(
    {
      weight: 9,
      arbitrary: fc
        .tuple(deviceArb, datasetArb, patchesArb, fc.boolean())
        .map(([d, ds, specs, withId]) => new PushCommand(d, ds, specs, withId, null)),
    },
    // An empty UpdateRecords: a no-op.
    {
      weight: 1,
      arbitrary: fc
        .tuple(deviceArb, datasetArb)
        .map(([d, ds]) => new PushCommand(d, ds, [], false, null)),
    },
  );
  const pushStale = fc
    .tuple(deviceArb, datasetArb, patchesArb, fc.nat({ max: 2 }), fc.constantFrom(-3, -1, 1, 2, 7))
    .map(
      ([d, ds, specs, index, offset]) => new PushCommand(d, ds, specs, false, { index, offset }),
    );
  const pullAcrossWrite = fc
    .tuple(deviceArb, fc.nat({ max: nDevices - 2 }), datasetArb, fc.constantFrom(1, 2), patchesArb)
    // The writer is any other device.
    .map(
      ([d, w, ds, max, writes]) =>
        new PullAcrossWriteCommand(d, w >= d ? w + 1 : w, ds, max, writes),
    );
  const pullSince = fc
    .tuple(
      deviceArb,
      datasetArb,
      fc.constantFrom<SinceAt>(
        'zero',
        'random',
        'deletedAt-1',
        'deletedAt',
        'deletedAt+1',
        'current',
        'current+1',
      ),
      fc.nat({ max: 64 }),
      maxResultsArb,
    )
    .map(([d, ds, at, k, max]) => new PullSinceCommand(d, ds, at, k, max));
  const deleteDataset = fc
    .tuple(deviceArb, datasetArb)
    .map(([d, ds]) => new DeleteDatasetCommand(d, ds));
  const describeDataset = fc
    .tuple(deviceArb, datasetArb)
    .map(([d, ds]) => new DescribeDatasetCommand(d, ds));
  return [
    pull,
    pull,
    pull,
    push,
    push,
    push,
    pushStale,
    pullAcrossWrite,
    pullSince,
    deleteDataset,
    describeDataset,
  ];
}

async function newRun(nDevices: number): Promise<{ model: Model; real: Real }> {
  const identityPoolId = await h.pool();
  const clients = Array.from({ length: nDevices }, () => h.client(user.token));
  const { identityId } = await clients[0]!.identity.getId.mutate({ identityPoolId });
  // A token per dataset to start with (tokens are per identity and dataset, reusable); each
  // device replaces it with its own on its first pull.
  const tokens = new Map<string, string>();
  for (const name of DATASETS) {
    tokens.set(
      name,
      (await clients[0]!.record.list.query({ identityPoolId, datasetName: name })).syncSessionToken,
    );
  }
  const devices = clients.map((client, index) => ({
    index,
    deviceId: `device-${index}`,
    client,
    datasets: new Map(
      DATASETS.map((name) => [
        name,
        { lastSyncCount: 0, known: new Map(), token: tokens.get(name)! },
      ]),
    ),
  }));
  return {
    model: { sync: new SyncModel(), nDevices },
    real: { identityPoolId, identityId, devices, history: new AckHistory() },
  };
}

/** After a run: full pulls equal the model, ListDatasets agrees, and the R1 history holds. */
async function finalCheck(model: Model, real: Real): Promise<void> {
  const device = real.devices[0]!;
  const finalState = new Map<string, Map<string, { value: string | null; syncCount: number }>>();
  for (const name of DATASETS) {
    const pages = await pullPages(real, device, name, undefined, undefined);
    expectPages(pages, model.sync.listRecords(name, undefined), 1024);
    finalState.set(
      name,
      new Map(
        pages.flatMap((p) =>
          p.records.map(
            (rec) => [rec.key, { value: rec.value, syncCount: rec.syncCount }] as const,
          ),
        ),
      ),
    );
  }
  const listed = await device.client.dataset.list.query({ identityPoolId: real.identityPoolId });
  expect(listed.datasets.map(datasetView)).toEqual(
    [...DATASETS].sort().flatMap((name) => {
      const summary = model.sync.summary(name);
      return summary ? [summary] : [];
    }),
  );
  expect(real.history.violations(finalState)).toEqual([]);
}

test(
  'R1/R3: devices of one identity against the model (pull, push, stale push, delete, describe)',
  async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: MAX_DEVICES }).chain((n) =>
          fc.tuple(
            fc.constant(n),
            fc.commands(commandArbs(n), {
              maxCommands: MAX_COMMANDS,
              size: 'max',
              ...replayPath,
            }),
          ),
        ),
        async ([nDevices, commands]) => {
          const { model, real } = await newRun(nDevices);
          await fc.asyncModelRun(() => ({ model, real }), commands);
          await finalCheck(model, real);
        },
      ),
      fcParams(30),
    );
  },
  TIME_LIMIT_MS + 40_000,
);

test(
  'R2: concurrent writes to one key with the same base count: exactly one wins, the rest get 409',
  async () => {
    const datasetName = 'hot';
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 3, max: 6 }),
        fc.nat({ max: 3 }),
        fc.boolean(),
        fc.boolean(),
        async (nDevices, priorWrites, deleteFirst, withOwnKey) => {
          const identityPoolId = await h.pool();
          const scope = { identityPoolId, datasetName };
          const clients = Array.from({ length: nDevices }, () => h.client(user.token));
          // History before the race: some writes of the key, maybe a deletion (which takes a count).
          let highWater = 0;
          for (let i = 0; i < priorWrites; i++) {
            const pull = await clients[0]!.record.list.query(scope);
            const current = pull.records.find((rec) => rec.key === 'hot')?.syncCount ?? 0;
            await clients[0]!.record.update.mutate({
              ...scope,
              syncSessionToken: pull.syncSessionToken,
              recordPatches: [
                { op: 'replace', key: 'hot', value: `prior-${i}`, syncCount: current },
              ],
            });
            highWater += 1;
          }
          if (deleteFirst && priorWrites > 0) {
            await clients[0]!.dataset.delete.mutate(scope);
            highWater += 1;
          }

          const pulls = await Promise.all(clients.map((c) => c.record.list.query(scope)));
          const bases = pulls.map(
            (p) => p.records.find((rec) => rec.key === 'hot')?.syncCount ?? 0,
          );
          const base = deleteFirst || priorWrites === 0 ? 0 : highWater;
          expect(bases).toEqual(clients.map(() => base));

          const results = await Promise.all(
            clients.map((c, i) =>
              outcomeOf(
                c.record.update.mutate({
                  ...scope,
                  syncSessionToken: pulls[i]!.syncSessionToken,
                  recordPatches: [
                    ...(withOwnKey
                      ? [{ op: 'replace' as const, key: `own-${i}`, value: `d${i}`, syncCount: 0 }]
                      : []),
                    { op: 'replace', key: 'hot', value: `from-${i}`, syncCount: base },
                  ],
                }),
              ),
            ),
          );
          const newCount = highWater + 1;
          const winners = results.flatMap((res, i) => (res.ok ? [i] : []));
          expect(winners).toHaveLength(1);
          const winner = winners[0]!;
          for (const [i, res] of results.entries()) {
            if (i === winner) {
              expect(
                res.ok && res.value.records.map((rec) => [rec.key, rec.value, rec.syncCount]),
              ).toEqual([
                ...(withOwnKey ? [[`own-${i}`, `d${i}`, newCount]] : []),
                ['hot', `from-${i}`, newCount],
              ]);
            } else {
              expect(res).toEqual({
                ok: false,
                error: {
                  kind: 'ResourceConflictException',
                  status: 409,
                  message: `Current SyncCount for: hot is: ${newCount} not: ${base}`,
                },
              });
            }
          }

          // Exactly one rise, and only the winner's patches were written (all or nothing).
          const after = await clients[0]!.record.list.query(scope);
          expect(after.datasetSyncCount).toBe(newCount);
          expect(after.records.map((rec) => [rec.key, rec.value, rec.syncCount]).sort()).toEqual(
            [
              ...(withOwnKey ? [[`own-${winner}`, `d${winner}`, newCount]] : []),
              ['hot', `from-${winner}`, newCount],
            ].sort(),
          );
          const since = await clients[1]!.record.list.query({ ...scope, lastSyncCount: highWater });
          expect(since.records.every((rec) => rec.syncCount === newCount)).toBe(true);
        },
      ),
      fcParams(12),
    );
  },
  TIME_LIMIT_MS + 40_000,
);
