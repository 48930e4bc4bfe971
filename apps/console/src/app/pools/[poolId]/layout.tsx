'use client';
/** Inside a pool: the side navigation (a collapsible menu at phone width) and the page. */
import Link from 'next/link';
import { usePathname } from 'next/navigation';
import { useState, type ReactNode } from 'react';
import { Breadcrumbs } from '../../../components/breadcrumbs';
import { ErrorNotice } from '../../../components/states';
import { paths } from '../../../lib/paths';
import { usePool, useRouteIds } from '../../../lib/use-pool';

export default function PoolLayout({ children }: { children: ReactNode }) {
  const { poolId } = useRouteIds();
  const pool = usePool(poolId);
  const pathname = usePathname();
  const [open, setOpen] = useState(false);
  const links = [
    { href: paths.pool(poolId), label: 'Dashboard', exact: true },
    { href: paths.identities(poolId), label: 'Identity browser', exact: false },
    { href: paths.settings(poolId), label: 'Edit identity pool', exact: true },
  ];
  const current = (href: string, exact: boolean) => {
    const here = decodeURIComponent(pathname);
    const target = decodeURIComponent(href);
    return exact ? here === target : here === target || here.startsWith(`${target}/`);
  };
  const currentLabel = links.find((link) => current(link.href, link.exact))?.label ?? 'Menu';

  if (pool.isError) {
    return (
      <div className="content">
        <Breadcrumbs
          items={[{ label: 'Identity pools', href: paths.pools() }, { label: poolId }]}
        />
        <ErrorNotice error={pool.error} onRetry={() => void pool.refetch()} />
        <p>
          <Link href={paths.pools()}>Back to identity pools</Link>
        </p>
      </div>
    );
  }

  return (
    <div className="pool-layout">
      <nav className="sidenav" aria-label="Identity pool" data-open={open} data-testid="pool-nav">
        <p className="sidenav-title">Identity pool</p>
        <p className="sidenav-pool">{pool.data?.name ?? '…'}</p>
        <button
          type="button"
          className="sidenav-toggle"
          aria-expanded={open}
          onClick={() => setOpen((value) => !value)}
        >
          <span>
            {pool.data?.name ?? 'Pool'} · {currentLabel}
          </span>
          <span aria-hidden="true">{open ? '▴' : '▾'}</span>
          <span className="visually-hidden">{open ? 'Hide' : 'Show'} the pool menu</span>
        </button>
        <ul>
          {links.map((link) => (
            <li key={link.href}>
              <Link
                href={link.href}
                aria-current={current(link.href, link.exact) ? 'page' : undefined}
                onClick={() => setOpen(false)}
              >
                {link.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <div className="content">{children}</div>
    </div>
  );
}
