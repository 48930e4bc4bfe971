import { expect, test } from 'vitest';
import { createSyncSessionTokens } from './sync-session-token.js';

const scope = { identityPoolId: 'local-1:aa', identityId: 'local-1:bb', datasetName: 'd' };

test('a token verifies for its own scope only, and is reusable until it expires', () => {
  let clock = 1_000_000;
  const tokens = createSyncSessionTokens({ secret: 's', ttlMs: 1000, now: () => clock });
  const token = tokens.issue(scope);
  tokens.verify(token, scope);
  tokens.verify(token, scope);
  expect(() => tokens.verify(token, { ...scope, datasetName: 'other' })).toThrow(
    'SyncSessionToken not valid for these inputs',
  );
  expect(() => tokens.verify(token, { ...scope, identityId: 'local-1:cc' })).toThrow();
  clock += 1001;
  expect(() => tokens.verify(token, scope)).toThrow('SyncSessionToken not valid for these inputs');
});

test('forged or malformed tokens are refused with the typed error', () => {
  const tokens = createSyncSessionTokens({ secret: 's' });
  const other = createSyncSessionTokens({ secret: 'different' });
  for (const bad of ['', 'x', '.', 'abc.def', other.issue(scope), tokens.issue(scope) + 'A']) {
    try {
      tokens.verify(bad, scope);
      expect.unreachable(`accepted ${bad}`);
    } catch (error) {
      expect(error).toMatchObject({ kind: 'InvalidParameterException' });
    }
  }
});
