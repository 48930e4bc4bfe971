/** The launcher's own settings; everything else in the environment passes through to the API. */
export interface LauncherEnv {
  /** Host the API and console listen on (the API reads HOST itself). */
  host: string;
  apiPort: number;
  consolePort: number;
  /** TANDEM_CONSOLE=false starts the API alone. */
  console: boolean;
}

export function readLauncherEnv(env: NodeJS.ProcessEnv = process.env): LauncherEnv {
  const port = (name: string, fallback: number) => {
    const raw = env[name];
    const value = raw ? Number(raw) : fallback;
    if (!Number.isInteger(value) || value < 0 || value > 65_535) {
      throw new Error(`${name} must be a port number, got ${raw}`);
    }
    return value;
  };
  return {
    host: env['HOST'] || '127.0.0.1',
    apiPort: port('PORT', 4000),
    consolePort: port('CONSOLE_PORT', 3000),
    console: !['false', '0', 'no', 'off'].includes((env['TANDEM_CONSOLE'] ?? '').toLowerCase()),
  };
}

/** The environment children inherit (the API reads its own settings from it), plus `extra`. */
export const childEnv = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  ...extra,
});
