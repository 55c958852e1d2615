import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, NotAvailableError, type Pagination } from './api';

export interface Loaded<T> { data: T | undefined; error: unknown; loading: boolean; reload(): void; set(data: T): void }

/** Run `load` when `deps` change; keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error) => live && setState({ data: undefined, error, loading: false }),
    );
    return () => { live = false; };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const set = useCallback((data: T) => setState({ data, error: null, loading: false }), []);
  return { ...state, reload, set };
}

/** An action button's state: busy while running, the error (in words) if it failed. */
export function useAction<A extends unknown[], R>(run: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const start = async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await run(...args);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, start, clear: () => setError(null) };
}

export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (!error) return null;
  if (error instanceof NotAvailableError) return <NotAvailable what={error.message} />;
  const api = error instanceof ApiError ? error : null;
  return (
    <div class="error" role="alert">
      <p>{messageOf(error)}</p>
      {api && api.details.length > 0 && (
        <ul>{api.details.map((d) => <li key={d.field}><code>{d.field}</code>: {d.message}</li>)}</ul>
      )}
      {api && api.code !== 'CONNECTION_ERROR' && (
        <p class="muted small">{api.code}{api.requestId ? ` · request ${api.requestId}` : ''}</p>
      )}
    </div>
  );
}

export function NotAvailable({ what }: { what: string }) {
  return <div class="notice" role="status" data-testid="not-available"><p>{what}</p><p class="muted small">This server's API does not offer it yet; the rest of the console works as usual.</p></div>;
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return <p class="muted" role="status" aria-live="polite">{what}…</p>;
}

/** Shows the error or a loading line, or the children once there is data. */
export function Show<T>({ state, children, what }: { state: Loaded<T>; children: (data: T) => ComponentChildren; what?: string }) {
  if (state.error) return <ErrorMessage error={state.error} />;
  if (state.data === undefined) return <Loading what={what} />;
  return <>{children(state.data)}</>;
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [done, setDone] = useState<'' | 'copied' | 'failed'>('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('copied');
    } catch {
      setDone('failed');
    }
  };
  return (
    <span class="copy">
      <button type="button" class="secondary" onClick={copy}>{label}</button>
      <span role="status" aria-live="polite" class="small">{done === 'copied' ? 'Copied' : done === 'failed' ? 'Copy failed: select the text and copy it' : ''}</span>
    </span>
  );
}

/** A button that asks once more before doing something that cannot be undone. */
export function ConfirmButton({ label, confirm, onConfirm, disabled }: { label: string; confirm: string; onConfirm(): void; disabled?: boolean }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => { if (asking) yes.current?.focus(); }, [asking]);
  if (!asking) return <button type="button" class="danger" disabled={disabled} onClick={() => setAsking(true)}>{label}</button>;
  return (
    <span class="confirm">
      <button ref={yes} type="button" class="danger" onClick={() => { setAsking(false); onConfirm(); }}>{confirm}</button>
      <button type="button" class="secondary" onClick={() => setAsking(false)}>Cancel</button>
    </span>
  );
}

export function Badge({ kind, children }: { kind: string; children: ComponentChildren }) {
  return <span class={`badge badge-${kind}`}>{children}</span>;
}

export function Pager({ pagination, onPage }: { pagination: Pagination; onPage(page: number): void }) {
  if (pagination.totalPages <= 1) return null;
  return (
    <nav class="pager" aria-label="Pages">
      <button type="button" class="secondary" disabled={pagination.page <= 1} onClick={() => onPage(pagination.page - 1)}>Previous</button>
      <span>Page {pagination.page} of {pagination.totalPages} ({pagination.total})</span>
      <button type="button" class="secondary" disabled={pagination.page >= pagination.totalPages} onClick={() => onPage(pagination.page + 1)}>Next</button>
    </nav>
  );
}

export function when(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toISOString().replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
}

export function percent(rate: number | null | undefined): string {
  return rate === null || rate === undefined ? '—' : `${(rate * 100).toFixed(1)}%`;
}

export function count(n: number | null | undefined): string {
  return n === null || n === undefined ? '—' : n.toLocaleString('en-US');
}

export function Section({ title, children, id }: { title: string; children: ComponentChildren; id?: string }) {
  return <section class="card" aria-labelledby={id ? `${id}-h` : undefined}><h2 id={id ? `${id}-h` : undefined}>{title}</h2>{children}</section>;
}
