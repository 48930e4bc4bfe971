/** Test-only environment: set DATABASE_URL to run the database-backed tests on PostgreSQL. */
export const testDatabaseUrl: string | undefined = process.env['DATABASE_URL'] || undefined;
