'use client';
/**
 * A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert
 * (focus stays inside), Escape closes it, and focus returns to what opened it.
 */
import { useEffect, useId, useRef, type FormEvent, type ReactNode } from 'react';

export interface DialogProps {
  open: boolean;
  title: string;
  description?: ReactNode;
  onClose(): void;
  /** When given, the body is a form and Enter submits it. */
  onSubmit?: ((event: FormEvent<HTMLFormElement>) => void) | undefined;
  footer: ReactNode;
  children?: ReactNode;
  wide?: boolean | undefined;
  testId?: string | undefined;
}

export function Dialog({
  open,
  title,
  description,
  onClose,
  onSubmit,
  footer,
  children,
  wide,
  testId,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descriptionId = useId();
  const onCloseRef = useRef(onClose);
  useEffect(() => {
    onCloseRef.current = onClose;
  });

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement as HTMLElement | null;
      dialog.showModal();
      return () => {
        if (dialog.open) dialog.close();
        opener?.focus?.();
      };
    }
    return undefined;
  }, [open]);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const cancel = (event: Event) => {
      event.preventDefault(); // we close it ourselves, through state
      onCloseRef.current();
    };
    dialog.addEventListener('cancel', cancel);
    return () => dialog.removeEventListener('cancel', cancel);
  }, []);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    onSubmit?.(event);
  };

  return (
    <dialog
      ref={ref}
      className={`dialog${wide ? ' dialog-wide' : ''}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      data-testid={testId}
    >
      {open ? (
        <form className="dialog-form" onSubmit={submit} noValidate>
          <div className="dialog-header">
            <div>
              <h2 id={titleId}>{title}</h2>
              {description ? <p id={descriptionId}>{description}</p> : null}
            </div>
            <button
              type="button"
              className="icon-button"
              aria-label="Close"
              onClick={() => onCloseRef.current()}
            >
              ×
            </button>
          </div>
          {children ? <div className="dialog-body">{children}</div> : null}
          <div className="dialog-footer">{footer}</div>
        </form>
      ) : null}
    </dialog>
  );
}
