/** The logging the worker's services need; a pino logger fits. */
export interface WorkerLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export const silentLogger: WorkerLogger = {
  info: () => {},
  warn: () => {},
  error: () => {},
};
