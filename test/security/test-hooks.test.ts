/**
 * Issue 14: the test clock route moves the service clock, which ends deletion windows early.
 * With --test-hooks it answers only loopback callers that send the per-run token kmsd printed
 * at start, and kmsd refuses to start with hooks on an address other machines can reach.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateKeyCommand, DescribeKeyCommand, ScheduleKeyDeletionCommand } from '@aws-sdk/client-kms';
import { startKmsd } from '../helpers/kmsd.js';
import type { TestKmsd } from '../helpers/kmsd.js';
import { runKmsd, stopAllProcesses } from '../helpers/kmsd-process.js';
import { createKmsd } from '../../src/server.js';

let t: TestKmsd;
beforeAll(async () => {
  t = await startKmsd();
});
afterAll(async () => {
  await t?.close();
  stopAllProcesses();
});

const moveClock = (headers: Record<string, string>) =>
  fetch(`${t.url}/_kmsd/test/clock`, { method: 'POST', headers, body: JSON.stringify({ advanceSeconds: 8 * 86_400 }) });

describe('the test clock route', () => {
  it('refuses a caller without the per-run token, and the clock does not move', async () => {
    const { KeyMetadata } = await t.kms().send(new CreateKeyCommand({}));
    await t.kms().send(new ScheduleKeyDeletionCommand({ KeyId: KeyMetadata?.KeyId, PendingWindowInDays: 7 }));
    const token = t.kmsd.testHooksToken ?? '';
    expect(token).toMatch(/^[\w-]{32}$/);
    const wrong = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    const attempts: Record<string, string>[] = [
      {},
      { 'X-Kmsd-Test-Token': wrong },
      { 'X-Kmsd-Test-Token': token.slice(1) },
      { 'X-Kmsd-Test-Token': '' },
    ];
    for (const headers of attempts) {
      const res = await moveClock(headers);
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ message: 'Test hooks need the token kmsd printed at start, from this machine.' });
    }
    // Had any of them moved the clock past the 7-day window, the key would be gone.
    const { KeyMetadata: after } = await t.kms().send(new DescribeKeyCommand({ KeyId: KeyMetadata?.KeyId }));
    expect(after?.KeyState).toBe('PendingDeletion');
  });

  it('is not served by a kmsd started without --test-hooks', async () => {
    const plain = createKmsd({ port: 0, inMemory: true, log: () => undefined });
    const url = await plain.listen();
    try {
      expect(plain.testHooksToken).toBeUndefined();
      const res = await fetch(`${url}/_kmsd/test/clock`, { method: 'POST', body: '{"advanceSeconds":0}' });
      expect(res.status).toBe(400);
    } finally {
      await plain.close();
    }
  });

  it('cannot be enabled on an address other machines can reach', async () => {
    expect(() => createKmsd({ host: '0.0.0.0', testHooks: true, inMemory: true })).toThrow(
      '--test-hooks needs a loopback --host (127.0.0.1, ::1 or localhost), not 0.0.0.0',
    );
    const run = await runKmsd(['serve', '--in-memory', '--port', '0', '--host', '0.0.0.0', '--dev', '--test-hooks']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('kmsd: --test-hooks needs a loopback --host (127.0.0.1, ::1 or localhost), not 0.0.0.0');
  });
});
