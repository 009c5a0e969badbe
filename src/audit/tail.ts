/**
 * `kmsd audit tail FILE [-n N] [--follow]`: the audit log, one readable line per record:
 *   <time>  <service>:<action>  <OK | error code: message>  <principal ARN>  <source IP>  <resources>  <request id>
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

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
  return [
    r.eventTime ?? '?',
    `${service}:${r.eventName ?? '?'}`,
    outcome,
    who,
    r.sourceIPAddress ?? '?',
    resources,
    r.requestID ?? '',
  ].join('  ');
}

/**
 * The last `count` complete lines of a file, read backwards in chunks so a large log is not read
 * whole, and the byte offset where the complete lines end (a record still being written after it
 * is picked up by --follow).
 */
function lastLines(fd: number, size: number, count: number): { lines: string[]; end: number } {
  const CHUNK = 64 * 1024;
  let pos = size;
  let tail = Buffer.alloc(0);
  const newlines = () => tail.reduce((n, b) => (b === 0x0a ? n + 1 : n), 0);
  while (pos > 0 && newlines() <= count) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, pos);
    tail = Buffer.concat([buf, tail]);
  }
  const lastNewline = tail.lastIndexOf(0x0a);
  const end = lastNewline < 0 ? pos : pos + lastNewline + 1;
  if (count === 0 || lastNewline < 0) return { lines: [], end };
  const lines = tail.subarray(0, lastNewline).toString('utf8').split('\n');
  // When the whole file was read, its first line is complete; otherwise the first piece may be cut.
  const usable = pos === 0 ? lines : lines.slice(1);
  return { lines: usable.slice(-count), end };
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
    // Polling fstat, not fs.watch: it works on every filesystem and cannot miss an append made
    // before a watcher took its first look.
    await new Promise<void>((resolve) => {
      const timer = setInterval(readNew, o.pollMs ?? 500);
      const stop = () => {
        clearInterval(timer);
        readNew();
        resolve();
      };
      if (o.signal?.aborted) stop();
      else o.signal?.addEventListener('abort', stop, { once: true });
    });
  } finally {
    closeSync(fd);
  }
}
