/**
 * The app keeps writing while a sync runs (SPEC.md I3, I4): nothing it writes is overwritten
 * by the sync's late results.
 */
import { memoryStore, type TandemClient } from '@tandem/client-sdk';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PASSWORD, startHarness, uniqueEmail, type Harness } from '../testing/harness.js';
import { createDevice, newNetwork } from './testing/devices.js';

let h: Harness;
let poolId: string;
const clients: TandemClient[] = [];
beforeAll(async () => {
  h = await startHarness();
  poolId = await h.pool();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await h?.close();
});

async function signedInDevice(email: string) {
  const network = newNetwork();
  const client = await createDevice({
    url: h.url,
    identityPoolId: poolId,
    store: memoryStore(),
    network,
  });
  clients.push(client);
  await client.signIn({ email, password: PASSWORD });
  return { client, network };
}

test('I3: an edit made while the push is on the wire survives it and goes out next', async () => {
  const email = uniqueEmail();
  await h.signUp(email);
  const { client, network } = await signedInDevice(email);
  const notes = await client.dataset('notes');
  await notes.put('k', 'sent');
  network.duringUpdate = () => notes.put('k', 'typed during the push');
  const first = await notes.synchronize();
  // The same synchronize() notices the newer edit and pushes it in a second round.
  expect(first).toMatchObject({ pushed: 2, pending: 0 });
  expect(notes.get('k')).toBe('typed during the push');
  expect(network.updateCalls).toBe(2);
  const { client: other } = await signedInDevice(email);
  const seen = await other.dataset('notes');
  await seen.synchronize();
  expect(seen.get('k')).toBe('typed during the push');
});

test('I4: a conflict answer is not applied over an edit the app made while deciding', async () => {
  const email = uniqueEmail();
  await h.signUp(email);
  const { client: a } = await signedInDevice(email);
  const { client: b } = await signedInDevice(email);
  const notesA = await a.dataset('notes');
  const notesB = await b.dataset('notes');
  await notesA.put('k', 'A');
  await notesA.synchronize();
  await notesB.put('k', 'B');

  let asked = 0;
  await notesB.synchronize({
    async onConflict(conflicts) {
      asked += 1;
      if (asked === 1) {
        // While the dialog is open, the user types something else in another view.
        await notesB.put('k', 'B, edited while deciding');
        conflicts[0]!.resolveWithRemote(); // this answer is about a value that no longer exists
      } else {
        conflicts[0]!.resolveWithLocal();
      }
    },
  });
  expect(asked).toBe(2); // asked again about the new local value
  expect(notesB.get('k')).toBe('B, edited while deciding');
  await notesA.synchronize();
  expect(notesA.get('k')).toBe('B, edited while deciding');
});
