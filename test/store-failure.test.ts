/**
 * A disk that fills up under a running kmsd. The `kmsd serve` process keeps its data
 * directory on a small tmpfs mounted in its own mount namespace (util-linux unshare, as
 * root), and the test fills that tmpfs through /proc/<pid>/root. Writes then fail inside
 * SQLite (SQLITE_FULL): each such request must get a clean KMSInternalException and a log
 * line, change nothing, and kmsd must serve normally again once space is freed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeysCommand,
  TagResourceCommand,
} from '@aws-sdk/client-kms';
import { serve, stopAllProcesses } from './helpers/kmsd-process.js';
import type { Running } from './helpers/kmsd-process.js';
import { DEV, REGION } from './helpers/kmsd.js';
import { expectError } from './helpers/errors.js';

const INTERNAL = 'The request was rejected because of an internal exception. Please try again.';

describe('a full disk under a running kmsd', () => {
  const mount = mkdtempSync(join(tmpdir(), 'kmsd-disk-'));
  let k: Running;
  let kms: KMSClient;
  let filler = '';

  beforeAll(async () => {
    k = await serve(
      ['--port', '0', '--data-dir', join(mount, 'data'), '--log-level', 'info'],
      {},
      undefined,
      // The tmpfs exists only in kmsd's mount namespace and goes away with it.
      ['unshare', '--mount', 'sh', '-c', 'mount -t tmpfs -o size=16m tmpfs "$0" && exec "$@"', mount],
    );
    kms = new KMSClient({ endpoint: k.url, region: REGION, credentials: DEV, maxAttempts: 1 });
    filler = `/proc/${k.proc.pid}/root${mount}/filler`;
  });
  afterAll(async () => {
    kms.destroy();
    await k.stop();
    stopAllProcesses();
    rmSync(mount, { recursive: true, force: true });
  });

  it('answers KMSInternalException for writes, keeps serving reads, changes nothing, and recovers when space is back', async () => {
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'before' }));
    const KeyId = KeyMetadata?.KeyId ?? '';
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('kept') }));
    const keysBefore = (await kms.send(new ListKeysCommand({}))).Keys?.map((key) => key.KeyId);

    fillUp(filler);
    await expectError(kms.send(new CreateKeyCommand({ Description: 'during' })), 'KMSInternalException', 500, INTERNAL);
    await expectError(
      kms.send(new CreateAliasCommand({ AliasName: 'alias/full', TargetKeyId: KeyId })),
      'KMSInternalException',
      500,
      INTERNAL,
    );
    await expectError(
      kms.send(new TagResourceCommand({ KeyId, Tags: [{ TagKey: 'k', TagValue: 'v' }] })),
      'KMSInternalException',
      500,
      INTERNAL,
    );
    // What needs no write still works.
    const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob }));
    expect(Buffer.from(Plaintext ?? []).toString()).toBe('kept');
    const during = await kms.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('during') }));
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: during.CiphertextBlob }))).Plaintext ?? []).toString()).toBe(
      'during',
    );
    expect((await kms.send(new DescribeKeyCommand({ KeyId }))).KeyMetadata?.Description).toBe('before');
    expect(k.proc.exitCode).toBeNull();

    // Each failure is one JSON log line naming the operation and SQLite's error, nothing more.
    const failures = k
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { msg: string; operation: string; err: { code: string } })
      .filter((entry) => entry.msg === 'request failed');
    expect(failures.map((e) => [e.operation, e.err.code])).toEqual([
      ['CreateKey', 'SQLITE_FULL'],
      ['CreateAlias', 'SQLITE_FULL'],
      ['TagResource', 'SQLITE_FULL'],
    ]);

    rmSync(filler);

    // Nothing of the failed requests was kept.
    expect((await kms.send(new ListKeysCommand({}))).Keys?.map((key) => key.KeyId)).toEqual(keysBefore);
    expect((await kms.send(new ListAliasesCommand({ KeyId }))).Aliases).toEqual([]);
    await kms.send(new CreateAliasCommand({ AliasName: 'alias/full', TargetKeyId: KeyId }));
    const after = await kms.send(new CreateKeyCommand({ Description: 'after' }));
    expect(after.KeyMetadata?.Description).toBe('after');
    expect((await kms.send(new ListKeysCommand({}))).Keys).toHaveLength((keysBefore?.length ?? 0) + 1);
    expect((await fetch(`${k.url}/ready`)).status).toBe(200);
  });
});

/** Writes to `file` until the file system has no space left. */
function fillUp(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}
