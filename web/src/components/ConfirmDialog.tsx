import { useEffect, useRef } from 'react';

/** A small modal asking to confirm a destructive action. */
export function ConfirmDialog(props: {
  title: string;
  message: string;
  confirmLabel: string;
  busy?: boolean;
  error?: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const cancelRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    cancelRef.current?.focus();
  }, []);
  return (
    <div className="overlay" onKeyDown={(e) => e.key === 'Escape' && !props.busy && props.onCancel()}>
      <div
        className="dialog confirm"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        aria-describedby="confirm-message"
        data-testid="confirm-dialog"
      >
        <h2 id="confirm-title">{props.title}</h2>
        <p id="confirm-message">{props.message}</p>
        {props.error ? (
          <p className="error" role="alert" data-testid="confirm-error">
            {props.error}
          </p>
        ) : null}
        <div className="actions">
          <button type="button" ref={cancelRef} onClick={props.onCancel} disabled={props.busy} data-testid="confirm-cancel">
            Cancel
          </button>
          <button
            type="button"
            className="danger"
            onClick={props.onConfirm}
            disabled={props.busy}
            data-testid="confirm-ok"
          >
            {props.busy ? 'Working…' : props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
