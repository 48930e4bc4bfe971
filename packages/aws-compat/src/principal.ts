/**
 * Who signed a request: an identity (temporary credentials from GetCredentialsForIdentity) or a
 * pool's developer key (created in the console). The signature is checked (SigV4).
 *
 * Replays: a request that changes data (any method but GET/HEAD) is accepted once. Its
 * signature is remembered until it could no longer pass the clock-skew check, on every replica,
 * so a captured write cannot be applied again. Reads are not tracked: repeating one changes
 * nothing, and clients legitimately send byte-identical reads (aws-sdk v2 signs with a
 * one-second clock, and amazon-cognito-js repeats the same ListRecords within milliseconds).
 */
import {
  findDeveloperKey,
  rememberSignature,
  sweepSeenSignatures,
  touchDeveloperKey,
  type Database,
  type SecretBox,
} from '@tandem/db';
import { signatureErrors } from './errors.js';
import type { AwsHttpRequest } from './http.js';
import {
  IDENTITY_ACCESS_KEY_PREFIX,
  type IdentityCredentialIssuer,
} from './identity-credentials.js';
import { verifySigV4 } from './sigv4.js';

export type Principal =
  | { kind: 'identity'; identityPoolId: string; identityId: string; accessKeyId: string }
  | { kind: 'developer'; identityPoolId: string; accessKeyId: string; name: string };

export interface PrincipalResolverDeps {
  database: Database;
  settingsBox: SecretBox;
  /** The part of the identity credential issuer that checks keys. */
  identityKeys: Pick<IdentityCredentialIssuer, 'open'>;
  /** Allowed clock difference for signatures (default 5 minutes, as AWS). */
  maxSkewMs?: number;
  now?: () => Date;
}

export interface PrincipalResolver {
  authenticate(request: AwsHttpRequest, service: string): Promise<Principal>;
}

const SWEEP_EVERY_MS = 60_000;
const TOUCH_EVERY_MS = 60_000;

const changesData = (method: string) => method !== 'GET' && method !== 'HEAD';

export function createPrincipalResolver(deps: PrincipalResolverDeps): PrincipalResolver {
  const maxSkewMs = deps.maxSkewMs ?? 5 * 60_000;
  const now = deps.now ?? (() => new Date());
  let lastSweep = 0;
  const touched = new Map<string, number>();

  return {
    async authenticate(request, service) {
      let principal: Principal | undefined;
      const at = now();
      const signed = await verifySigV4(request, {
        service,
        now: at,
        maxSkewMs,
        async secretFor(accessKeyId, sessionToken) {
          if (accessKeyId.startsWith(IDENTITY_ACCESS_KEY_PREFIX)) {
            const opened = deps.identityKeys.open(accessKeyId, sessionToken, at);
            principal = {
              kind: 'identity',
              identityPoolId: opened.identityPoolId,
              identityId: opened.identityId,
              accessKeyId,
            };
            return opened.secretAccessKey;
          }
          // Developer keys are long-term: a session token with one is a forgery or a mix-up.
          if (sessionToken !== undefined) throw signatureErrors.unknownKey();
          const found = await findDeveloperKey(deps.database.db, deps.settingsBox, accessKeyId);
          if (!found) throw signatureErrors.unknownKey();
          principal = {
            kind: 'developer',
            identityPoolId: found.key.identityPoolId,
            accessKeyId,
            name: found.key.name,
          };
          return found.secretAccessKey;
        },
      });
      if (!principal) throw signatureErrors.unknownKey();

      if (changesData(request.method)) {
        const fresh = await rememberSignature(deps.database.sql, {
          signature: signed.signature,
          expiresAt: new Date(signed.signedAt.getTime() + maxSkewMs + 1_000),
        });
        if (!fresh) throw signatureErrors.replay();
      }
      if (at.getTime() - lastSweep > SWEEP_EVERY_MS) {
        lastSweep = at.getTime();
        void sweepSeenSignatures(deps.database.db, at).catch(() => undefined);
      }
      // "Last used" is kept to the minute: one write per key and minute, not per request.
      if (
        principal.kind === 'developer' &&
        at.getTime() - (touched.get(principal.accessKeyId) ?? 0) >= TOUCH_EVERY_MS
      ) {
        touched.set(principal.accessKeyId, at.getTime());
        void touchDeveloperKey(deps.database.db, principal.accessKeyId).catch(() => undefined);
      }
      return principal;
    },
  };
}
