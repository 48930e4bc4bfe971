import type { ReactNode } from 'react';

/** "Enabled" / "Disabled", or `noneLabel` when the feature is not configured at all. */
export function EnabledBadge({
  enabled,
  onLabel = 'Enabled',
  offLabel = 'Disabled',
  noneLabel,
}: {
  enabled: boolean | null;
  onLabel?: string;
  offLabel?: string;
  noneLabel?: string;
}) {
  if (enabled === null) return <span className="badge">{noneLabel}</span>;
  return enabled ? (
    <span className="badge badge-success">{onLabel}</span>
  ) : (
    <span className="badge">{offLabel}</span>
  );
}

/**
 * One settings section: a card with a title, what it does, its fields and its buttons. With
 * `onSubmit` the card is a form (Enter in a field or the submit button saves; the fields'
 * validation is the console's own, so the browser's is off).
 */
export function SettingsSection({
  id,
  title,
  description,
  badge,
  children,
  footer,
  onSubmit,
}: {
  id: string;
  title: string;
  description: ReactNode;
  badge?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  onSubmit?: () => unknown;
}) {
  const section = (
    <section className="card" aria-labelledby={`${id}-title`} data-testid={`section-${id}`}>
      <div className="card-header">
        <div>
          <h2 id={`${id}-title`}>
            {title} {badge}
          </h2>
          <p>{description}</p>
        </div>
      </div>
      <div className="card-body">{children}</div>
      {footer ? <div className="card-footer">{footer}</div> : null}
    </section>
  );
  if (!onSubmit) return section;
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        void onSubmit();
      }}
      noValidate
    >
      {section}
    </form>
  );
}
