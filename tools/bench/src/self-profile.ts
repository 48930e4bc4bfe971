/**
 * V8 CPU profile of the bench process itself — where the client SDK runs in S6 and LOCAL — over
 * one measurement window (`--cpu-prof`). The API child is profiled through its preload.
 */
import fs from 'node:fs';
import inspector from 'node:inspector/promises';

export interface SelfProfile {
  /** Stops the profile and writes it to `file` (a .cpuprofile, summarised like the API's). */
  stop(file: string): Promise<void>;
}

export async function startSelfProfile(): Promise<SelfProfile> {
  const session = new inspector.Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 250 });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      fs.writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
