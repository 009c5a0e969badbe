/** Small building blocks shared by the pages: routing, alerts, progress, data loading. */
import { useCallback, useEffect, useState } from 'react';
import type { ChangeEvent, ReactNode } from 'react';
import { ApiError } from './api';
import { findHelp } from './help';

export const BASE = '/console';

export function navigate(path: string): void {
  window.history.pushState(null, '', `${BASE}${path}`);
  window.dispatchEvent(new PopStateEvent('popstate'));
}

/** The path below /console, e.g. "/keystores". */
export function usePath(): string {
  const read = () => window.location.pathname.slice(BASE.length) || '/';
  const [path, setPath] = useState(read);
  useEffect(() => {
    const onPop = () => setPath(read());
    window.addEventListener('popstate', onPop);
    return () => window.removeEventListener('popstate', onPop);
  }, []);
  return path;
}

export function Link(props: { to: string; children: ReactNode; className?: string; current?: boolean }) {
  return (
    <a
      href={`${BASE}${props.to}`}
      className={props.className}
      aria-current={props.current ? 'page' : undefined}
      onClick={(e) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

export function errorOf(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError('Error', err instanceof Error ? err.message : String(err), 0);
}

/** An error as the operation reported it, with the fix and a link when the console knows one. */
export function ErrorAlert(props: { error: unknown; title?: string }) {
  const err = errorOf(props.error);
  const help = findHelp(err.code);
  return (
    <div className="alert alert-error" role="alert">
      <strong>{props.title ?? help?.title ?? 'The request failed'}</strong>
      <p>
        <code>{err.code}</code>: {err.message}
      </p>
      {help && (
        <p>
          {help.problem} <strong>Fix:</strong> {help.fix} <Link to={`/troubleshooting#${help.id}`}>Troubleshooting: {help.title}</Link>
        </p>
      )}
    </div>
  );
}

export function SuccessAlert(props: { children: ReactNode }) {
  return (
    <div className="alert alert-success" role="status">
      {props.children}
    </div>
  );
}

export function Progress(props: { label: string }) {
  return (
    <div className="progress" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {props.label}
    </div>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when its dependencies change and on reload(); keeps the last data while reloading. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const run = useCallback(load, deps);
  useEffect(() => {
    let live = true;
    setLoading(true);
    run().then(
      (d) => {
        if (!live) return;
        setData(d);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (!live) return;
        setError(e);
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [run, tick]);
  return { data, error, loading, reload: () => setTick((t) => t + 1) };
}

export function formatDate(epochSeconds: unknown): string {
  if (typeof epochSeconds !== 'number') return '—';
  return new Date(epochSeconds * 1000)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** A modal dialog with a labelled heading; Escape closes it. */
export function Dialog(props: { title: string; onClose: () => void; children: ReactNode }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') props.onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  });
  const id = `dialog-${props.title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div className="backdrop">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby={id}>
        <h2 id={id}>{props.title}</h2>
        {props.children}
      </div>
    </div>
  );
}

/** Runs API actions for a page: a busy label while running, then a success message or the error. */
export interface Action {
  busy: string | undefined;
  error: unknown;
  message: string | undefined;
  run: (label: string, action: () => Promise<void>, done?: string) => Promise<boolean>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState<string | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const run = async (label: string, action: () => Promise<void>, done?: string) => {
    setBusy(label);
    setError(undefined);
    setMessage(undefined);
    try {
      await action();
      setMessage(done);
      return true;
    } catch (e) {
      setError(e);
      return false;
    } finally {
      setBusy(undefined);
    }
  };
  return { busy, error, message, run };
}

/** Where an action's progress, success message and error appear. */
export function ActionStatus(props: { action: Action; errorTitle?: string }) {
  const { busy, error, message } = props.action;
  return (
    <>
      {busy && <Progress label={busy} />}
      {message && <SuccessAlert>{message}</SuccessAlert>}
      {error !== undefined && <ErrorAlert error={error} title={props.errorTitle} />}
    </>
  );
}

/** A table header row; `select` adds a first column for radio buttons, `actions` a last one for buttons. */
export function TableHead(props: { columns: string[]; select?: boolean; actions?: boolean }) {
  const hidden = (label: string) => (
    <th scope="col">
      <span className="visually-hidden">{label}</span>
    </th>
  );
  return (
    <thead>
      <tr>
        {props.select && hidden('Select')}
        {props.columns.map((c) => (
          <th scope="col" key={c}>
            {c}
          </th>
        ))}
        {props.actions && hidden('Actions')}
      </tr>
    </thead>
  );
}

/** Cancel + submit buttons at the end of a form. */
export function FormButtons(props: { submit: string; onCancel: () => void; cancel?: string; busy?: boolean }) {
  return (
    <div className="actions">
      <button type="button" onClick={props.onCancel}>
        {props.cancel ?? 'Cancel'}
      </button>
      <button type="submit" className="primary" disabled={props.busy}>
        {props.submit}
      </button>
    </div>
  );
}

/** An <input type=file> change handler that reads the chosen text file (a PEM) into `setter`. */
export function readFileInto(setter: (text: string) => void) {
  return (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (file) void file.text().then(setter);
  };
}
