/** What shows before the client is ready: starting, or why it could not start. */
export function Splash({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <main className="splash">
      <h1>My settings and notes</h1>
      <p role={onRetry ? 'alert' : 'status'}>{message}</p>
      {onRetry && (
        <button type="button" className="button primary" onClick={onRetry}>
          Try again
        </button>
      )}
    </main>
  );
}
