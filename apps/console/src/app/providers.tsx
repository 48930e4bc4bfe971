'use client';
import type { ReactNode } from 'react';
import { AppShell } from '../components/app-shell';
import { ToastProvider } from '../components/toast';
import { TrpcProviders } from '../lib/trpc';

export function Providers({ children }: { children: ReactNode }) {
  return (
    <TrpcProviders>
      <ToastProvider>
        <AppShell>{children}</AppShell>
      </ToastProvider>
    </TrpcProviders>
  );
}
