import type { ReactNode } from 'react';

/** One settings section: a card with a title, what it does, its form and its buttons. */
export function SettingsSection({
  id,
  title,
  description,
  badge,
  children,
  footer,
}: {
  id: string;
  title: string;
  description: ReactNode;
  badge?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
}) {
  return (
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
}
