const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** `14:03:27` today, `Mar 4, 14:03` on another day, `never` for null. */
export function formatTime(ms: number | null): string {
  if (ms === null) return 'never';
  const date = new Date(ms);
  return sameDay(date, new Date())
    ? date.toLocaleTimeString()
    : date.toLocaleString(undefined, {
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      });
}

/** A user-facing message for whatever an SDK call threw. */
export const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
