import { deriveSetupToken } from '@tandem/auth';
import { createSecretBox, type SecretBox } from '@tandem/db';

/**
 * What the routers derive from the server secret (BETTER_AUTH_SECRET), so every replica agrees.
 * Never log this object.
 */
export interface ApiSecrets {
  /** Claims the first administrator while none exists (printed in the API's start banner). */
  setupToken: string;
  /** Seals secrets stored in pool settings (VAPID private keys). */
  settingsBox: SecretBox;
}

export const deriveApiSecrets = (serverSecret: string): ApiSecrets => ({
  setupToken: deriveSetupToken(serverSecret),
  settingsBox: createSecretBox(serverSecret),
});
