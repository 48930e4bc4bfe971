/**
 * The console server's configuration: the only file that reads process.env. Read per request
 * (not at build time), so one build runs against any API.
 */
const DEFAULT_API_URL = 'http://127.0.0.1:4000';

export interface ConsoleEnv {
  /** Where the Tandem API listens (the proxy routes forward /trpc and /api/auth there). */
  apiUrl: URL;
  /**
   * The console's own public origin, when it sits behind a proxy that rewrites Host. Unset: the
   * origin the request was addressed to.
   */
  publicOrigin: string | null;
}

export function readEnv(): ConsoleEnv {
  const apiUrl = new URL(process.env.TANDEM_API_URL || DEFAULT_API_URL);
  const publicUrl = process.env.CONSOLE_PUBLIC_URL;
  return { apiUrl, publicOrigin: publicUrl ? new URL(publicUrl).origin : null };
}
