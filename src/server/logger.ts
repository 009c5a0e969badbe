/**
 * kmsd's log: JSON lines on standard error (pino), one object per event, with an ISO time and
 * a level name. Standard output keeps the human start banner.
 *
 * Secrets never belong in an entry (core/log.ts); as a second line of defence, fields whose
 * names say they hold a secret are replaced by "[Redacted]" wherever they sit in the first
 * two levels of an entry.
 */
import { pino } from 'pino';
import type { DestinationStream } from 'pino';
import type { Log } from '../core/log.js';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;
export type LoggerLevel = (typeof LOG_LEVELS)[number];

/** Field names that hold secrets in kmsd's inputs and state (KMS, CloudHSM, STS, console). */
const SECRET_FIELDS = [
  'authorization',
  'password',
  'passwordWrapped',
  'KeyStorePassword',
  'Plaintext',
  'plaintext',
  'SessionToken',
  'sessionToken',
  'SecretAccessKey',
  'secretAccessKey',
  'cookie',
  'rootKey',
  'material',
];

export function createLogger(level: LoggerLevel = 'info', destination: DestinationStream = pino.destination({ dest: 2, sync: true })): Log {
  const logger = pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: SECRET_FIELDS.flatMap((f) => [f, `*.${f}`]) },
    },
    destination,
  );
  return ({ level: entryLevel, msg, ...fields }) => logger[entryLevel](fields, msg);
}
