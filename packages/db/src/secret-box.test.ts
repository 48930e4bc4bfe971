import { createECDH } from 'node:crypto';
import { expect, test } from 'vitest';
import { createSecretBox } from './secret-box.js';
import { generateVapidKeyPair } from './vapid-key-pair.js';

const SECRET = 'a-server-secret-a-server-secret-0123456789';

test('sealed values open with the same secret and associated data only', () => {
  const box = createSecretBox(SECRET);
  const sealed = box.seal('private scalar', 'pool-a');
  expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
  expect(sealed).not.toContain('private scalar');
  expect(box.seal('private scalar', 'pool-a')).not.toBe(sealed); // fresh IV each time
  expect(box.open(sealed, 'pool-a')).toBe('private scalar');
  expect(createSecretBox(SECRET).open(sealed, 'pool-a')).toBe('private scalar'); // any replica

  expect(() => box.open(sealed, 'pool-b')).toThrow();
  expect(() => createSecretBox(`${SECRET}x`).open(sealed, 'pool-a')).toThrow();
  const [v, iv, ct, tag] = sealed.split('.') as [string, string, string, string];
  const flipped = Buffer.from(ct, 'base64url');
  flipped[0] = flipped[0]! ^ 1;
  expect(() => box.open([v, iv, flipped.toString('base64url'), tag].join('.'), 'pool-a')).toThrow();
  expect(() => box.open('plain text', 'pool-a')).toThrow();
  expect(() => createSecretBox('short')).toThrow();
});

test('VAPID key pairs: 65-byte uncompressed public point and the 32-byte scalar that derives it', () => {
  const pair = generateVapidKeyPair();
  const point = Buffer.from(pair.publicKey, 'base64url');
  expect(point).toHaveLength(65);
  expect(point[0]).toBe(0x04);
  expect(pair.publicKey).toMatch(/^[\w-]+$/); // base64url, no padding
  expect(Buffer.from(pair.privateKey, 'base64url')).toHaveLength(32);
  // The public key is the one the private scalar derives.
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(Buffer.from(pair.privateKey, 'base64url'));
  expect(ecdh.getPublicKey().toString('base64url')).toBe(pair.publicKey);
  expect(generateVapidKeyPair().publicKey).not.toBe(pair.publicKey);
});
