/**
 * What every layer logs through: one structured entry per event, written as one JSON line
 * by the server's logger (server/logger.ts). An entry names its level and message and may
 * carry an Error as `err`; it never carries request bodies, headers, passwords or key
 * material (the logger redacts such fields too, in case one slips in).
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEntry {
  level: LogLevel;
  msg: string;
  err?: unknown;
  [field: string]: unknown;
}

export type Log = (entry: LogEntry) => void;
