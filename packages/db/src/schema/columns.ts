import { timestamp } from 'drizzle-orm/pg-core';

/** Timestamps with time zone, read back as JS Dates (ms precision is all clients keep). */
export const timestamptz = (name?: string) =>
  name
    ? timestamp(name, { withTimezone: true, mode: 'date' })
    : timestamp({ withTimezone: true, mode: 'date' });

export const createdAt = () => timestamptz().notNull().defaultNow();
