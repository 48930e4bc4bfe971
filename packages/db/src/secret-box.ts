/**
 * Secrets stored in the database (VAPID private keys) are sealed with AES-256-GCM under a key
 * derived from the server secret (BETTER_AUTH_SECRET, the same on every replica) with
 * HKDF-SHA256 and a purpose label, so a database dump alone does not reveal them. Each sealed
 * value is bound to its row by additional authenticated data (e.g. pool id + public key): a
 * sealed value copied into another row does not open.
 *
 * Sealed format: `v1.<iv>.<ciphertext>.<tag>`, each part base64url (12-byte IV, 16-byte tag).
 * Changing the server secret makes every sealed value unreadable (open() throws); the owner of
 * the value must then generate a new one (for VAPID: rotate the key).
 */
import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

const HKDF_SALT = 'tandem/secret-box';
const HKDF_INFO = 'tandem/settings-encryption/v1';
const VERSION = 'v1';

export interface SecretBox {
  seal(plaintext: string, associatedData: string): string;
  /** Throws when the value was not sealed by this key for this associated data. */
  open(sealed: string, associatedData: string): string;
}

export function createSecretBox(serverSecret: string): SecretBox {
  if (serverSecret.length < 32)
    throw new Error('The server secret must have at least 32 characters.');
  const key: KeyObject = createSecretKey(
    Buffer.from(hkdfSync('sha256', serverSecret, HKDF_SALT, HKDF_INFO, 32)),
  );
  return {
    seal(plaintext, associatedData) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(associatedData, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, iv, ciphertext, cipher.getAuthTag()]
        .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
        .join('.');
    },
    open(sealed, associatedData) {
      const [version, iv, ciphertext, tag, ...rest] = sealed.split('.');
      if (version !== VERSION || !iv || ciphertext === undefined || !tag || rest.length > 0) {
        throw new Error('Not a sealed value of this version.');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(associatedData, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([
        decipher.update(Buffer.from(ciphertext, 'base64url')),
        decipher.final(),
      ]).toString('utf8');
    },
  };
}
