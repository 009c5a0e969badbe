/**
 * Issue 14, crash paths: an 'error' the HTTP server reports after it started listening is
 * logged and kmsd exits 1 with a message, instead of crashing on an unhandled 'error' event
 * (src/server/listener.test.ts checks the handler; this runs the built `kmsd serve`). The
 * error is provoked through a preloaded module (test/fixtures/server-error-on-signal.mjs).
 */
import { afterAll, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { CreateKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { DEV, REGION } from './helpers/kmsd.js';
import { exited, serve, stopAllProcesses } from './helpers/kmsd-process.js';

afterAll(() => stopAllProcesses());

it("logs a server 'error' after listening and exits 1 with a message", async () => {
  const preload = resolve('test/fixtures/server-error-on-signal.mjs');
  const kmsd = await serve(['--port', '0', '--in-memory'], { NODE_OPTIONS: `--import ${preload}` });
  // It serves normally until the error.
  const client = new KMSClient({ endpoint: kmsd.url, region: REGION, credentials: DEV, maxAttempts: 1 });
  const { KeyMetadata } = await client.send(new CreateKeyCommand({}));
  expect(KeyMetadata?.KeyState).toBe('Enabled');
  client.destroy();

  kmsd.proc.kill('SIGUSR2');
  expect(await exited(kmsd.proc)).toBe(1);
  const output = kmsd.output();
  expect(output).toContain('kmsd: the server failed (listen socket failed (provoked by the test)); stopping');
  const logLine = output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .find((entry) => entry.msg === 'the server failed');
  expect(logLine).toMatchObject({ level: 'error', err: { message: 'listen socket failed (provoked by the test)', code: 'EPROVOKED' } });
});
