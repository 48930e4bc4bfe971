import { expect, test } from 'vitest';
import { parseArgs } from './args.js';

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
