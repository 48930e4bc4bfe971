import type { SessionUser } from '@tandem/auth';
import type { IdentityRow, Writer } from '@tandem/db';

/** Identity writes are attributed to the device when it names one, else to the identity (spec §7.9). */
export const identityWriter = (identity: IdentityRow, deviceId?: string | undefined): Writer => ({
  source: 'identity',
  lastModifiedBy: deviceId ?? identity.id,
  deviceId,
});

/** Admin writes are attributed to the administrator and never run the sync trigger. */
export const adminWriter = (user: SessionUser): Writer => ({
  source: 'admin',
  lastModifiedBy: `admin:${user.email}`,
});
