'use client';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback } from 'react';
import { useTRPC, type RouterOutputs } from '../../lib/trpc';

export type PoolSettings = RouterOutputs['admin']['identityPool']['settings'];

/** After a settings mutation: its answer is the pool's new settings; the pool list changes too. */
export function useSettingsSaved(poolId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return useCallback(
    async (settings: PoolSettings) => {
      queryClient.setQueryData(
        trpc.admin.identityPool.settings.queryKey({ identityPoolId: poolId }),
        settings,
      );
      await queryClient.invalidateQueries({ queryKey: trpc.admin.identityPool.byId.pathKey() });
      await queryClient.invalidateQueries({ queryKey: trpc.admin.identityPool.list.pathKey() });
    },
    [queryClient, trpc, poolId],
  );
}
