import { deriveSetupToken } from '@tandem/auth';
import { createSecretBox, type SecretBox } from '@tandem/db';
import { createHmac } from 'node:crypto';

/**
 * What the routers derive from the server secret (BETTER_AUTH_SECRET), so every replica agrees.
 * Never log this object.
 */
export interface ApiSecrets {
  /** Claims the first administrator while none exists (printed in the API's start banner). */
  setupToken: string;
  /** Seals secrets stored in pool settings (VAPID private keys). */
  settingsBox: SecretBox;
  /**
   * The key a pool's sync trigger webhook requests are signed with (X-Tandem-Signature), shown
   * to admins so the receiver can verify them. Derived, not stored: HMAC(K, poolId) with
   * K = HMAC(serverSecret, label), so it changes only with the server secret.
   */
  syncTriggerSigningSecret(identityPoolId: string): string;
}

const SYNC_TRIGGER_SIGNING_LABEL = 'tandem/sync-trigger-signing-key/v1';

export function deriveApiSecrets(serverSecret: string): ApiSecrets {
  const signingKey = createHmac('sha256', serverSecret).update(SYNC_TRIGGER_SIGNING_LABEL).digest();
  return {
    setupToken: deriveSetupToken(serverSecret),
    settingsBox: createSecretBox(serverSecret),
    syncTriggerSigningSecret: (identityPoolId) =>
      `whsec_${createHmac('sha256', signingKey).update(identityPoolId).digest('base64url')}`,
  };
}
