import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import { identityPool } from '../schema/index.js';
import { getIdentityPool } from './identity-pool.js';

/**
 * What the AWS-compatible API was told about a pool that Tandem does not act on itself
 * (SNS application ARNs, IAM role ARNs, a Lambda ARN, a Kinesis stream name), kept so that
 * Get* answers what Set* was given. Stored under `aws` in `identity_pool.config`.
 */
export interface AwsPoolLabels {
  pushSync?: { applicationArns: string[]; roleArn: string | null };
  cognitoStreams?: { streamName: string | null; roleArn: string | null };
  events?: Record<string, string>;
}

export async function getAwsPoolLabels(
  db: DbOrTx,
  identityPoolId: string,
): Promise<{ labels: AwsPoolLabels; configVersion: number }> {
  const pool = await getIdentityPool(db, identityPoolId);
  return {
    labels: (pool.config['aws'] as AwsPoolLabels | undefined) ?? {},
    configVersion: pool.configVersion,
  };
}

/**
 * Saves the labels if the pool's configuration is still at `expectedVersion`; false when
 * someone changed it meanwhile (ConcurrentModificationException).
 */
export async function setAwsPoolLabels(
  db: DbOrTx,
  args: { identityPoolId: string; expectedVersion: number; labels: AwsPoolLabels },
): Promise<boolean> {
  const rows = await db
    .update(identityPool)
    .set({
      config: sql`jsonb_set(${identityPool.config}, '{aws}', ${JSON.stringify(args.labels)}::jsonb)`,
      configVersion: sql`${identityPool.configVersion} + 1`,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(identityPool.id, args.identityPoolId),
        eq(identityPool.configVersion, args.expectedVersion),
      ),
    )
    .returning({ id: identityPool.id });
  return rows.length > 0;
}
