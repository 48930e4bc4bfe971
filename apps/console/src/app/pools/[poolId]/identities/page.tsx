'use client';
/**
 * The identity browser: identities of a pool, searched by identity ID prefix, in pages
 * (Next/Previous follow the server's nextToken; previous tokens are kept to go back).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter, useSearchParams } from 'next/navigation';
import { Suspense, useState, type FormEvent } from 'react';
import { Breadcrumbs } from '../../../../components/breadcrumbs';
import { Button } from '../../../../components/button';
import { PageHeader } from '../../../../components/page-header';
import { EmptyState, ErrorNotice, Loading } from '../../../../components/states';
import { formatDate } from '../../../../lib/format';
import { paths } from '../../../../lib/paths';
import { useTRPC } from '../../../../lib/trpc';
import { usePool, useRouteIds } from '../../../../lib/use-pool';

const PAGE_SIZES = [10, 25, 60];

export default function IdentityBrowserPage() {
  return (
    <Suspense fallback={<Loading />}>
      <IdentityBrowser />
    </Suspense>
  );
}

function IdentityBrowser() {
  const { poolId } = useRouteIds();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const searchParams = useSearchParams();
  const pool = usePool(poolId);
  const prefix = searchParams.get('q') ?? '';
  const sizeParam = Number(searchParams.get('size'));
  const pageSize = PAGE_SIZES.includes(sizeParam) ? sizeParam : 25;
  const [draft, setDraft] = useState(prefix);
  // Tokens of the pages before the current one: tokens[i] opens page i (page 0 needs none).
  const [paging, setPaging] = useState<{ key: string; tokens: (string | null)[] }>({
    key: '',
    tokens: [null],
  });
  const pagingKey = `${prefix}|${pageSize}`;
  const tokens = paging.key === pagingKey ? paging.tokens : [null];
  const pageIndex = tokens.length - 1;
  const token = tokens[pageIndex];

  const inputFor = (nextToken: string | null, search = prefix) => ({
    identityPoolId: poolId,
    maxResults: pageSize,
    ...(search ? { identityIdPrefix: search } : {}),
    ...(nextToken ? { nextToken } : {}),
  });
  const identities = useQuery(trpc.admin.identity.list.queryOptions(inputFor(token ?? null)));

  const navigate = (q: string, size: number) => {
    const query = new URLSearchParams();
    if (q) query.set('q', q);
    if (size !== 25) query.set('size', String(size));
    const search = query.toString();
    router.replace(`${paths.identities(poolId)}${search ? `?${search}` : ''}`);
  };

  const search = async (event: FormEvent) => {
    event.preventDefault();
    const q = draft.trim();
    // A whole identity ID goes straight to its details, as in Cognito's console.
    if (q) {
      try {
        const found = await queryClient.fetchQuery(
          trpc.admin.identity.list.queryOptions({ ...inputFor(null, q), maxResults: 2 }),
        );
        const only = found.identities[0];
        if (found.identities.length === 1 && only?.identityId === q) {
          router.push(paths.identity(poolId, only.identityId));
          return;
        }
      } catch {
        // the list below shows the error
      }
    }
    navigate(q, pageSize);
  };

  const page = identities.data;
  return (
    <>
      <Breadcrumbs
        items={[
          { label: 'Identity pools', href: paths.pools() },
          { label: pool.data?.name ?? '…', href: paths.pool(poolId) },
          { label: 'Identity browser' },
        ]}
      />
      <PageHeader
        title="Identity browser"
        description="Find an identity by its ID (or the start of it), then open it to see and change its datasets."
      />
      <section className="card" aria-label="Identities">
        <div className="card-header">
          <form
            className="search-bar"
            role="search"
            onSubmit={(event) => void search(event)}
            style={{ flex: 1 }}
          >
            <label htmlFor="identity-search" className="visually-hidden">
              Identity ID
            </label>
            <input
              id="identity-search"
              className="input mono"
              placeholder="Identity ID, e.g. local-1:3f2a…"
              value={draft}
              onChange={(event) => setDraft(event.target.value)}
              spellCheck={false}
              autoComplete="off"
            />
            <Button type="submit" variant="primary">
              Search
            </Button>
            {prefix ? (
              <Button
                onClick={() => {
                  setDraft('');
                  navigate('', pageSize);
                }}
              >
                Clear
              </Button>
            ) : null}
          </form>
        </div>
        {identities.isPending ? (
          <Loading label="Loading identities…" />
        ) : identities.isError ? (
          <div className="card-body">
            <ErrorNotice error={identities.error} onRetry={() => void identities.refetch()} />
          </div>
        ) : page && page.identities.length === 0 ? (
          prefix ? (
            <EmptyState icon="⌕" title="No identity matches">
              No identity ID in this pool starts with <code>{prefix}</code>. Check the ID, or clear
              the search.
            </EmptyState>
          ) : (
            <EmptyState icon="◎" title="No identities yet">
              Identities appear when an app calls GetId for a user or a guest in this pool.
            </EmptyState>
          )
        ) : page ? (
          <div className="table-wrap">
            <table className="table" data-testid="identities-table">
              <thead>
                <tr>
                  <th scope="col">Identity ID</th>
                  <th scope="col">Kind</th>
                  <th scope="col" className="hide-phone">
                    Created
                  </th>
                  <th scope="col" className="hide-phone">
                    Last modified
                  </th>
                </tr>
              </thead>
              <tbody>
                {page.identities.map((identity) => (
                  <tr key={identity.identityId} data-testid="identity-row">
                    <td>
                      <Link className="id-text" href={paths.identity(poolId, identity.identityId)}>
                        {identity.identityId}
                      </Link>
                    </td>
                    <td>
                      {identity.authenticated ? (
                        <span className="badge badge-accent">Signed in</span>
                      ) : (
                        <span className="badge">Guest</span>
                      )}
                    </td>
                    <td className="hide-phone nowrap">{formatDate(identity.createdAt)}</td>
                    <td className="hide-phone nowrap">{formatDate(identity.lastModifiedDate)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <div className="pager">
          <span data-testid="page-info">
            Page {pageIndex + 1}
            {page ? ` · ${page.identities.length} shown` : ''}
          </span>
          <label className="check" style={{ alignItems: 'center' }}>
            <span>Per page</span>
            <select
              className="select"
              style={{ width: 'auto', minHeight: 30, paddingBlock: 2 }}
              value={pageSize}
              onChange={(event) => navigate(prefix, Number(event.target.value))}
              aria-label="Identities per page"
            >
              {PAGE_SIZES.map((size) => (
                <option key={size} value={size}>
                  {size}
                </option>
              ))}
            </select>
          </label>
          <div className="actions">
            <Button
              size="sm"
              disabled={pageIndex === 0}
              onClick={() => setPaging({ key: pagingKey, tokens: tokens.slice(0, -1) })}
            >
              ← Previous
            </Button>
            <Button
              size="sm"
              disabled={!page?.nextToken}
              onClick={() =>
                page?.nextToken &&
                setPaging({ key: pagingKey, tokens: [...tokens, page.nextToken] })
              }
            >
              Next →
            </Button>
          </div>
        </div>
      </section>
    </>
  );
}
