import { generateKeyPairSync } from 'node:crypto';

export interface VapidKeyPair {
  /**
   * base64url of the 65-byte uncompressed P-256 point (0x04 ‖ x ‖ y): what browsers take as
   * `applicationServerKey` and the web-push library as `publicKey`.
   */
  publicKey: string;
  /** base64url of the 32-byte private scalar (web-push's `privateKey`). A server secret. */
  privateKey: string;
}

/** A fresh VAPID key pair (RFC 8292: ECDSA on P-256). */
export function generateVapidKeyPair(): VapidKeyPair {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const jwk = privateKey.export({ format: 'jwk' });
  if (!jwk.x || !jwk.y || !jwk.d) throw new Error('P-256 key export lacks a coordinate');
  // JWK coordinates and scalar are fixed-length (32 bytes) base64url (RFC 7518 §6.2.1).
  const point = Buffer.concat([
    Buffer.from([0x04]),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  return { publicKey: point.toString('base64url'), privateKey: jwk.d };
}
