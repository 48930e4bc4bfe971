import { expect, test } from 'vitest';
import { parseArgs, wants, wantsAws, wantsBaselines, wantsSyncLoad } from './args.js';

const parse = (...argv: string[]) => parseArgs(argv, { outDir: '/tmp/out' });

test('--api-workers: a positive integer, 1 by default', () => {
  expect(parse().apiWorkers).toBe(1);
  expect(parse('--api-workers', '2').apiWorkers).toBe(2);
  expect(parse('--api-workers=3').apiWorkers).toBe(3);
  expect(() => parse('--api-workers', '0')).toThrow(/not a positive number/);
  expect(() => parse('--api-workers', '1.5')).toThrow(/not a positive number/);
});

test('a bare -- (passed through by npm) is ignored', () => {
  const options = parse('--', '--quick', '--api-workers', '2');
  expect(options).toMatchObject({ quick: true, apiWorkers: 2, durationS: 3 });
});

test('--only: groups expand, names are case-insensitive, unknown ones are refused', () => {
  expect(parse().only).toBeNull();
  expect([...parse('--only', 'S1,s2').only!]).toEqual(['S1X1', 'S1X5', 'S2']);
  expect([...parse('--only', 'S6,LOCAL').only!]).toEqual(['S6A', 'S6B', 'LOCAL']);
  expect([...parse('--only=s6a,local').only!]).toEqual(['S6A', 'LOCAL']);
  expect([...parse('--only', 's7').only!]).toEqual(['S7']);
  expect(() => parse('--only', 'S9')).toThrow(/unknown scenario S9/);
});

test('wants / wantsSyncLoad: what a selection runs', () => {
  const cold = parse('--only', 'S6');
  expect(wants(cold, 'S6A')).toBe(true);
  expect(wants(cold, 'S2')).toBe(false);
  expect(wantsSyncLoad(cold)).toBe(false);
  expect(wantsSyncLoad(parse('--only', 'S1x5'))).toBe(true);
  expect(wantsSyncLoad(parse())).toBe(true);
  // S7 needs the seeded devices, not the pgbench and B_http baselines.
  const s7 = parse('--only', 'S7');
  expect(wantsSyncLoad(s7)).toBe(true);
  expect(wantsBaselines(s7)).toBe(false);
});

test('--only: S1aws, S2aws and the AWS group', () => {
  expect([...parse('--only', 'S1x1,S2,AWS').only!]).toEqual(['S1X1', 'S2', 'S1AWS', 'S2AWS']);
  expect([...parse('--only=s1aws').only!]).toEqual(['S1AWS']);
  expect([...parse('--only', 'S2aws').only!]).toEqual(['S2AWS']);
  // The AWS scenarios are compared with the same baselines (B_pg, B_http) as S1 and S2.
  const s2aws = parse('--only', 'S2aws');
  expect(wantsAws(s2aws)).toBe(true);
  expect(wantsBaselines(s2aws)).toBe(true);
  expect(wantsSyncLoad(s2aws)).toBe(true);
  expect(wants(s2aws, 'S2')).toBe(false);
  expect(wantsAws(parse('--only', 'S1,S2'))).toBe(false);
  expect(wantsAws(parse())).toBe(true);
});
