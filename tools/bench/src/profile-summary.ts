/**
 * Summarises V8 CPU profiles (.cpuprofile, from `npm run bench -- --cpu-prof`): self time by
 * package, and the functions with the most self and inclusive time.
 *
 *   npx tsx tools/bench/src/profile-summary.ts <file.cpuprofile | directory> [--top 30]
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}
export interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const clean = url.replace(/^file:\/\//, '');
  const nm = clean.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = clean.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  const ws = /\/(packages|apps|tools)\/([^/]+)\//.exec(clean);
  if (ws) return `@tandem/${ws[2]}`;
  if (clean.startsWith('node:')) return 'node:internal';
  return clean;
}

export function summariseProfile(profile: Profile, top = 30): string {
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const selfUs = new Map<number, number>();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    totalUs += dt;
  });
  const fnKey = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${packageOf(n.callFrame.url, n.callFrame.functionName)}:${n.callFrame.lineNumber + 1}`;

  const byPackage = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclusiveByFn = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') idleUs += us;
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    selfByFn.set(fnKey(node), (selfByFn.get(fnKey(node)) ?? 0) + us);
    // Inclusive: every distinct function on the stack of these samples.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const key = fnKey(byId.get(cur)!);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusiveByFn.set(key, (inclusiveByFn.get(key) ?? 0) + us);
    }
  }
  const busyUs = totalUs - idleUs;
  const pct = (us: number) => `${((us / busyUs) * 100).toFixed(1).padStart(5)} %`;
  const ms = (us: number) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines: string[] = [];
  lines.push(
    `profile: ${(totalUs / 1e6).toFixed(1)} s sampled, ${(busyUs / 1e6).toFixed(1)} s busy (percentages are of busy time)`,
  );
  lines.push('', 'Self time by package:');
  for (const [pkg, us] of [...byPackage]
    .filter(([p]) => p !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    lines.push(`  ${ms(us)} ${pct(us)}  ${pkg}`);
  }
  lines.push('', 'Top self time:');
  for (const [fn, us] of [...selfByFn]
    .filter(([f]) => !f.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    lines.push(`  ${ms(us)} ${pct(us)}  ${fn}`);
  }
  lines.push('', 'Top inclusive time:');
  for (const [fn, us] of [...inclusiveByFn]
    .filter(([f]) => !f.startsWith('(root)') && !f.startsWith('(idle)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)) {
    lines.push(`  ${ms(us)} ${pct(us)}  ${fn}`);
  }
  return lines.join('\n');
}

if (process.argv[1] && path.resolve(process.argv[1]).endsWith('profile-summary.ts')) {
  const target = process.argv[2];
  const topAt = process.argv.indexOf('--top');
  const top = topAt > 0 ? Number(process.argv[topAt + 1]) : 30;
  if (!target) {
    process.stderr.write('usage: profile-summary.ts <file.cpuprofile | directory> [--top N]\n');
    process.exit(2);
  }
  const files = fs.statSync(target).isDirectory()
    ? fs
        .readdirSync(target)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(target, f))
    : [target];
  for (const file of files) {
    process.stdout.write(
      `# ${file}\n${summariseProfile(JSON.parse(fs.readFileSync(file, 'utf8')) as Profile, top)}\n\n`,
    );
  }
}
