/**
 * Where the CPU went during a measurement window (Linux /proc): the API child with every process
 * under it (a cluster primary and its workers), the PostgreSQL processes serving the bench's
 * databases, the load generator (this process), and the whole machine. Used to say, per
 * operation, how many CPU-milliseconds each part spent — the first answer to "what costs most".
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

let ticksPerSecond: number | null = null;
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond =
        Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export const procAvailable = (): boolean => fs.existsSync('/proc/stat');

interface ProcStat {
  comm: string;
  ppid: number;
  cpuMs: number;
  systemMs: number;
}

function readProcStat(pid: number | string): ProcStat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const comm = text.slice(open + 1, close);
  const fields = text.slice(close + 2).split(' ');
  // fields[0] is field 3 (state), fields[1] field 4 (ppid); utime is field 14, stime field 15.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return {
    comm,
    ppid: Number(fields[1]),
    cpuMs: (ticks * 1000) / clockTicks(),
    systemMs: (Number(fields[12]) * 1000) / clockTicks(),
  };
}

/** Every process on the machine, by pid. */
function allProcesses(): Map<number, ProcStat> {
  const result = new Map<number, ProcStat>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readProcStat(entry);
    if (stat) result.set(Number(entry), stat);
  }
  return result;
}

/** `root` and every process below it (children, grandchildren, …). */
function processTree(root: number, processes: Map<number, ProcStat>): Map<number, ProcStat> {
  const children = new Map<number, number[]>();
  for (const [pid, stat] of processes) {
    const list = children.get(stat.ppid);
    if (list) list.push(pid);
    else children.set(stat.ppid, [pid]);
  }
  const tree = new Map<number, ProcStat>();
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    const stat = processes.get(pid);
    if (!stat || tree.has(pid)) continue;
    tree.set(pid, stat);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

const BACKEND_TITLE = /^postgres: [^:]+: \S+ (\S+) (?:\d|\[local\]|localhost|::)/;

/**
 * CPU of the PostgreSQL processes that work for us: client backends connected to one of
 * `databases`, plus the shared auxiliary processes (WAL writer, checkpointer, …). Backends of
 * other databases — other people's tests on the same server — are left out.
 */
function postgresCpu(
  processes: Map<number, ProcStat>,
  databases: ReadonlySet<string> | null,
): Map<number, number> {
  const result = new Map<number, number>();
  for (const [pid, stat] of processes) {
    if (stat.comm !== 'postgres') continue;
    if (databases) {
      let title: string;
      try {
        title = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').replace(/\0+$/, '');
      } catch {
        continue;
      }
      const backend = BACKEND_TITLE.exec(title);
      if (backend && !databases.has(backend[1]!)) continue;
    }
    result.set(pid, stat.cpuMs);
  }
  return result;
}

function systemTicks(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'latin1').split('\n', 1)[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest is included in user)
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

export interface CpuSnapshot {
  at: number;
  /** CPU and kernel CPU of each process of the API's tree (a cluster: primary and workers). */
  api: Map<number, { cpuMs: number; systemMs: number }>;
  generator: number;
  postgres: Map<number, number>;
  system: { busy: number; total: number };
}

/** Which databases' backends count as "postgres" (null: every PostgreSQL process). */
let ourDatabases: ReadonlySet<string> | null = null;
export function countPostgresDatabases(databases: string[] | null): void {
  ourDatabases = databases ? new Set(databases) : null;
}

export function cpuSnapshot(apiPid: number | undefined): CpuSnapshot | null {
  if (!procAvailable()) return null;
  const usage = process.cpuUsage();
  const processes = allProcesses();
  const api = new Map<number, { cpuMs: number; systemMs: number }>();
  if (apiPid !== undefined) {
    for (const [pid, stat] of processTree(apiPid, processes)) {
      api.set(pid, { cpuMs: stat.cpuMs, systemMs: stat.systemMs });
    }
  }
  return {
    at: performance.now(),
    api,
    generator: (usage.user + usage.system) / 1000,
    postgres: postgresCpu(processes, ourDatabases),
    system: systemTicks(),
  };
}

/** CPU use over a window, in cores busy (1.0 = one core fully used). */
export interface CpuUse {
  window_s: number;
  /** The API's whole process tree (a cluster primary and its workers). */
  api_cores: number;
  /** The part of api_cores spent in the kernel (syscalls: socket reads/writes, epoll). */
  api_kernel_cores: number;
  postgres_cores: number;
  generator_cores: number;
  /** Everything else on the machine (other processes, kernel softirq not charged to a pid…). */
  other_cores: number;
  system_busy_cores: number;
  system_cores: number;
}

export function cpuBetween(
  a: CpuSnapshot | null,
  b: CpuSnapshot | null,
  cores: number,
): CpuUse | null {
  if (!a || !b) return null;
  const seconds = (b.at - a.at) / 1000;
  // Processes that started inside the window count from 0; ones that ended are lost.
  let pgMs = 0;
  for (const [pid, ms] of b.postgres) pgMs += ms - (a.postgres.get(pid) ?? 0);
  let apiMs = 0;
  let apiSystemMs = 0;
  for (const [pid, use] of b.api) {
    apiMs += use.cpuMs - (a.api.get(pid)?.cpuMs ?? 0);
    apiSystemMs += use.systemMs - (a.api.get(pid)?.systemMs ?? 0);
  }
  const ticks = b.system.total - a.system.total;
  const busyShare = ticks > 0 ? (b.system.busy - a.system.busy) / ticks : 0;
  const toCores = (ms: number) => ms / 1000 / seconds;
  const api = toCores(apiMs);
  const postgres = toCores(pgMs);
  const generator = toCores(b.generator - a.generator);
  const busy = busyShare * cores;
  return {
    window_s: seconds,
    api_cores: api,
    api_kernel_cores: toCores(apiSystemMs),
    postgres_cores: postgres,
    generator_cores: generator,
    other_cores: Math.max(0, busy - api - postgres - generator),
    system_busy_cores: busy,
    system_cores: cores,
  };
}
