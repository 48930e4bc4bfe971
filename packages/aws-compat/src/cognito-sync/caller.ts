import { appRouter, createCallerFactory } from '@tandem/api-router';

/** Runs the tRPC API's procedures in-process, with a context the binding builds. */
export const createCaller = createCallerFactory(appRouter);
export type Caller = ReturnType<typeof createCaller>;
