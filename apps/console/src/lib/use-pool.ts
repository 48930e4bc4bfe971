'use client';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'next/navigation';
import { param } from './paths';
import { useTRPC } from './trpc';

/** The ids in the current URL, decoded. */
export function useRouteIds() {
  const params = useParams<{ poolId?: string; identityId?: string; datasetName?: string }>();
  return {
    poolId: param(params.poolId),
    identityId: param(params.identityId),
    datasetName: param(params.datasetName),
  };
}

export function usePool(poolId: string) {
  const trpc = useTRPC();
  return useQuery(trpc.admin.identityPool.byId.queryOptions({ identityPoolId: poolId }));
}
