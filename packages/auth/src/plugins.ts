import { admin, anonymous, bearer } from 'better-auth/plugins';
import type { AnonymousOptions } from 'better-auth/plugins';

/**
 * The better-auth plugins Tandem uses. Shared by the runtime factory and the schema generator
 * (script/auth-cli.ts) so the generated tables always match what runs.
 *  - anonymous: guests; linking a guest to an account triggers the identity merge.
 *  - admin: `user.role = 'admin'` for console users.
 *  - bearer: `Authorization: Bearer <token>` for devices that are not browsers.
 */
export const authPlugins = (onLinkAccount?: AnonymousOptions['onLinkAccount']) =>
  [
    anonymous({
      ...(onLinkAccount ? { onLinkAccount } : {}),
      emailDomainName: 'guest.tandem.invalid',
    }),
    admin({ defaultRole: 'user', adminRoles: ['admin'] }),
    bearer(),
  ] as const;
