/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The identity pool to use (else `?pool=`, else the server's default pool). */
  readonly VITE_TANDEM_POOL_ID?: string;
}
