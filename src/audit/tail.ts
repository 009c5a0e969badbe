/**
 * `kmsd audit tail FILE [-n N] [--follow]`: the audit log, one readable line per record:
 *   <time>  <service>:<action>  <OK | error code: message>  <principal ARN>  <source IP>  <resources>  <request id>
 */
import { closeSync, fstatSync, openSync, readSync, watchFile, unwatchFile } from 'node:fs';

interface RecordView {
  eventTime?: string;
  eventSource?: string;
  eventName?: string;
  errorCode?: string;
  errorMessage?: string;
  sourceIPAddress?: string;
  requestID?: string;
  userIdentity?: { arn?: string; accessKeyId?: string };
  resources?: { ARN?: string }[];
}

/** One audit record as a line of text; a line that is not a record is shown as it is. */
export function formatAuditLine(line: string): string {
  let r: RecordView;
  try {
    r = JSON.parse(line) as RecordView;
  } catch {
    return `? ${line}`;
  }
  const service = (r.eventSource ?? '?').replace(/\.amazonaws\.com$/, '');
  const outcome = r.errorCode ? `${r.errorCode}: ${r.errorMessage ?? ''}` : 'OK';
  const who = r.userIdentity?.arn ?? (r.userIdentity?.accessKeyId ? `unverified key ${r.userIdentity.accessKeyId}` : 'anonymous');
  const resources = (r.resources ?? []).map((x) => x.ARN).join(',') || '-';
  return [r.eventTime ?? '?', `${service}:${r.eventName ?? '?'}`, outcome, who, r.sourceIPAddress ?? '?', resources, r.requestID ?? ''].join('  ');
}

/** The last `count` lines of a file, read backwards in chunks so a large log is not read whole. */
function lastLines(fd: number, size: number, count: number): { lines: string[]; end: number } {
  const CHUNK = 64 * 1024;
  let pos = size;
  let text = '';
  while (pos > 0 && text.split('\n').length <= count + 1) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, pos);
    text = buf.toString('utf8') + text;
  }
  const complete = text.endsWith('\n') ? text.slice(0, -1) : text.slice(0, Math.max(0, text.lastIndexOf('\n')));
  const lines = complete === '' ? [] : complete.split('\n');
  // Bytes after the last newline belong to a record still being written: follow picks them up.
  const end = size - (text.length - complete.length - (text.endsWith('\n') ? 1 : 0));
  return { lines: count === 0 ? [] : lines.slice(-count), end: Math.max(0, end) };
}

export interface TailOptions {
  file: string;
  lines: number;
  follow: boolean;
  write: (text: string) => void;
  /** Ends --follow. */
  signal?: AbortSignal;
  pollMs?: number;
}

/** Prints the last lines; with follow, keeps printing records as they are appended until aborted. */
export async function tailAudit(o: TailOptions): Promise<void> {
  const fd = openSync(o.file, 'r');
  try {
    const { lines, end } = lastLines(fd, fstatSync(fd).size, o.lines);
    for (const line of lines) o.write(formatAuditLine(line) + '\n');
    if (!o.follow) return;
    let offset = end;
    let partial = '';
    const readNew = () => {
      const size = fstatSync(fd).size;
      if (size < offset) offset = 0; // truncated or replaced: start over
      if (size === offset) return;
      const buf = Buffer.alloc(size - offset);
      readSync(fd, buf, 0, buf.length, offset);
      offset = size;
      const text = partial + buf.toString('utf8');
      const parts = text.split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) if (line) o.write(formatAuditLine(line) + '\n');
    };
    await new Promise<void>((resolve) => {
      const listener = () => readNew();
      watchFile(o.file, { interval: o.pollMs ?? 500 }, listener);
      const stop = () => {
        unwatchFile(o.file, listener);
        resolve();
      };
      if (o.signal?.aborted) stop();
      o.signal?.addEventListener('abort', stop, { once: true });
    });
  } finally {
    closeSync(fd);
  }
}
