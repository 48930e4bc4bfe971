/**
 * The console's URLs. Ids contain ':' (`local-1:…`), so each segment is encoded here and decoded
 * by `param()` in the pages.
 */
const seg = encodeURIComponent;

export const paths = {
  pools: () => '/pools',
  pool: (poolId: string) => `/pools/${seg(poolId)}`,
  identities: (poolId: string) => `/pools/${seg(poolId)}/identities`,
  identity: (poolId: string, identityId: string) =>
    `/pools/${seg(poolId)}/identities/${seg(identityId)}`,
  dataset: (poolId: string, identityId: string, datasetName: string) =>
    `/pools/${seg(poolId)}/identities/${seg(identityId)}/datasets/${seg(datasetName)}`,
  settings: (poolId: string) => `/pools/${seg(poolId)}/settings`,
  signIn: () => '/sign-in',
  setup: () => '/setup',
};

/** A route parameter as the user wrote it (Next may hand it over still percent-encoded). */
export function param(value: string | string[] | undefined): string {
  const text = Array.isArray(value) ? (value[0] ?? '') : (value ?? '');
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
