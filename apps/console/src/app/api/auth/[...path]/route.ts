/** Forwards to the Tandem API (see src/server/proxy.ts); never cached, never prerendered. */
import { forwardToApi } from '../../../../server/proxy';

export const dynamic = 'force-dynamic';

export {
  forwardToApi as GET,
  forwardToApi as HEAD,
  forwardToApi as POST,
  forwardToApi as PUT,
  forwardToApi as PATCH,
  forwardToApi as DELETE,
  forwardToApi as OPTIONS,
};
