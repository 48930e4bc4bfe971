import { benchEnv } from './env.js';

/** Command-line flags of `npm run bench -- …`. */

export interface BenchOptions {
  concurrency: number[];
  durationS: number;
  warmupS: number;
  pgbenchSeconds: number;
  pgbenchRuns: number;
  pgbenchIdentities: number;
  pgbenchRecords: number;
  pgUrl: string;
  only: Set<string> | null;
  /** API_WORKERS of the API child (node:cluster workers on one port). */
  apiWorkers: number;
  outDir: string;
  cpuProf: boolean;
  countQueries: boolean;
  quick: boolean;
  help: boolean;
}

export const USAGE = `Usage: npm run bench -- -- [flags]      (from the repository root; note the two --)
       BENCH_ARGS="[flags]" npm run bench
       npm run bench -w @tandem/bench -- [flags]

  --concurrency 8,32     concurrent devices C (one run of baselines + scenarios per value; default 8)
  --duration 10          seconds measured per scenario and per B_http run (default 10)
  --warmup 2             seconds of warm-up before each measurement (default 2)
  --pgbench-duration N   seconds per pgbench run (default: --duration)
  --pgbench-runs 3       pgbench runs per C; the median is B_pg (default 3)
  --pgbench-identities N identities in the pgbench schema, × 50 records (default 10000)
  --only S1,S2           scenarios to run (S1 = 1 and 5 records per call, S1x1, S1x5, S2;
                         S1aws, S2aws = S1x1 and S2 over the Cognito Sync REST API with SigV4,
                         AWS = both;
                         S4 = change → push to 3 other devices (web-push-testing) at 50 % of S1;
                         S5 = commit → stream lag (NATS) at 80 % of S1's rate;
                         S6 = cold sync, S6a one 1 MB dataset, S6b 20 of them; S7 = UpdateRecords
                         with a no-op function sync trigger vs none; LOCAL = SDK
                         local store put/get/getAll rates). Default: all
  --api-workers N        API_WORKERS of the API child: above 1, a node:cluster primary and N worker
                         processes on one port (default 1)
  --pg-url URL           PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres)
  --out DIR              where results go (default <repo>/bench-results)
  --quick                smoke run: 3 s measurements, 1 s warm-up, 3 × 3 s pgbench, 2,000 identities;
                         S6 10 + 2 cold syncs, LOCAL 0.25 s per operation
  --count-queries        count the API's SQL round trips per operation (patches pg in the API child)
  --cpu-prof             V8 CPU profile of the API child over each scenario's measurement window
                         (<out>/<timestamp>-profiles/*.cpuprofile, with a .txt summary each);
                         for S6 and LOCAL also of the bench process, where the SDK runs (*-sdk)
  --help
`;

/** What `--only` selects (upper case; the command line is case-insensitive). */
export const SCENARIOS = [
  'S1X1',
  'S1X5',
  'S2',
  'S1AWS',
  'S2AWS',
  'S4',
  'S5',
  'S6A',
  'S6B',
  'S7',
  'LOCAL',
] as const;
export type Scenario = (typeof SCENARIOS)[number];
const GROUPS: Record<string, Scenario[]> = {
  S1: ['S1X1', 'S1X5'],
  S6: ['S6A', 'S6B'],
  AWS: ['S1AWS', 'S2AWS'],
};

export function parseArgs(argv: string[], defaults: { outDir: string }): BenchOptions {
  const options: BenchOptions = {
    concurrency: [8],
    durationS: 10,
    warmupS: 2,
    pgbenchSeconds: NaN,
    pgbenchRuns: 3,
    pgbenchIdentities: 10_000,
    pgbenchRecords: 50,
    pgUrl: benchEnv.pgUrl,
    only: null,
    apiWorkers: 1,
    outDir: defaults.outDir,
    cpuProf: false,
    countQueries: false,
    quick: false,
    help: false,
  };
  const explicit = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i]!;
    // npm hands a separator through (`npm run bench -- -- --quick` under npm 11): not a flag.
    if (flag === '--') continue;
    let value: string | undefined;
    const eq = flag.indexOf('=');
    if (flag.startsWith('--') && eq > 0) {
      value = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const take = (): string => {
      if (value !== undefined) return value;
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    const positive = (text: string, integer = true): number => {
      const n = Number(text);
      if (!(n > 0) || (integer && !Number.isInteger(n)))
        throw new Error(`${flag}: not a positive number: ${text}`);
      return n;
    };
    explicit.add(flag);
    switch (flag) {
      case '--concurrency':
      case '-c':
        options.concurrency = take()
          .split(',')
          .map((s) => positive(s.trim()));
        break;
      case '--duration':
        options.durationS = positive(take(), false);
        break;
      case '--warmup':
        options.warmupS = Number(take());
        if (!(options.warmupS >= 0)) throw new Error('--warmup: not a number');
        break;
      case '--pgbench-duration':
        options.pgbenchSeconds = positive(take());
        break;
      case '--pgbench-runs':
        options.pgbenchRuns = positive(take());
        break;
      case '--pgbench-identities':
        options.pgbenchIdentities = positive(take());
        break;
      case '--only':
        options.only = new Set(
          take()
            .split(',')
            .map((s) => s.trim().toUpperCase())
            .flatMap((s) => GROUPS[s] ?? [s]),
        );
        for (const s of options.only) {
          if (!(SCENARIOS as readonly string[]).includes(s))
            throw new Error(`--only: unknown scenario ${s}`);
        }
        break;
      case '--api-workers':
        options.apiWorkers = positive(take());
        break;
      case '--pg-url':
        options.pgUrl = take();
        break;
      case '--out':
        options.outDir = take();
        break;
      case '--quick':
        options.quick = true;
        break;
      case '--count-queries':
        options.countQueries = true;
        break;
      case '--cpu-prof':
        options.cpuProf = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new Error(`unknown flag ${flag}\n\n${USAGE}`);
    }
  }
  if (options.quick) {
    if (!explicit.has('--duration')) options.durationS = 3;
    if (!explicit.has('--warmup')) options.warmupS = 1;
    if (!explicit.has('--pgbench-duration')) options.pgbenchSeconds = 3;
    if (!explicit.has('--pgbench-identities')) options.pgbenchIdentities = 2_000;
  }
  if (Number.isNaN(options.pgbenchSeconds))
    options.pgbenchSeconds = Math.max(1, Math.round(options.durationS));
  return options;
}

export const wants = (options: BenchOptions, scenario: Scenario): boolean =>
  options.only === null || options.only.has(scenario);

/** S1aws or S2aws selected: the devices also need AWS credentials. */
export const wantsAws = (options: BenchOptions): boolean =>
  wants(options, 'S1AWS') || wants(options, 'S2AWS');

/** S1, S2 or their AWS twins selected: the runs that need pgbench (B_pg) and B_http. */
export const wantsBaselines = (options: BenchOptions): boolean =>
  wants(options, 'S1X1') || wants(options, 'S1X5') || wants(options, 'S2') || wantsAws(options);

/** S1, S2, S1aws, S2aws, S4, S5 or S7 selected: the runs that need the seeded devices. */
export const wantsSyncLoad = (options: BenchOptions): boolean =>
  wantsBaselines(options) || wants(options, 'S7') || wants(options, 'S5') || wants(options, 'S4');
