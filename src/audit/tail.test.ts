import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { auditRecord } from './audit-log.js';
import { formatAuditLine, tailAudit } from './tail.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const record = (eventName: string, error?: { code: string; message: string }) =>
  JSON.stringify(
    auditRecord({
      time: new Date('2026-12-01T08:00:00.123Z'),
      eventSource: 'kms.amazonaws.com',
      eventName,
      region: 'us-east-1',
      sourceIp: '127.0.0.1',
      principal: {
        type: 'User',
        arn: 'arn:aws:iam::111122223333:user/alice',
        accountId: '111122223333',
        userId: 'AIDAX',
        userName: 'alice',
        tags: {},
        identityPolicies: [],
      },
      accessKeyId: 'AKIAALICE',
      resources: ['arn:aws:kms:us-east-1:111122223333:key/k1'],
      requestId: `req-${eventName}`,
      ...(error ? { error } : {}),
    }),
  );

describe('audit records and kmsd audit tail', () => {
  it('writes CloudTrail fields and prints one line per record', () => {
    const r = JSON.parse(record('Encrypt')) as Record<string, unknown>;
    expect(r).toMatchObject({
      eventTime: '2026-12-01T08:00:00Z',
      eventSource: 'kms.amazonaws.com',
      eventName: 'Encrypt',
      userIdentity: {
        type: 'IAMUser',
        principalId: 'AIDAX',
        arn: 'arn:aws:iam::111122223333:user/alice',
        accountId: '111122223333',
        accessKeyId: 'AKIAALICE',
        userName: 'alice',
      },
      resources: [{ accountId: '111122223333', type: 'AWS::KMS::Key', ARN: 'arn:aws:kms:us-east-1:111122223333:key/k1' }],
      requestID: 'req-Encrypt',
    });
    expect(formatAuditLine(record('Decrypt', { code: 'AccessDeniedException', message: 'no' }))).toBe(
      '2026-12-01T08:00:00Z  kms:Decrypt  AccessDeniedException: no  arn:aws:iam::111122223333:user/alice  127.0.0.1  arn:aws:kms:us-east-1:111122223333:key/k1  req-Decrypt',
    );
    expect(formatAuditLine('not json')).toBe('? not json');
  });

  it('prints the last N records, then follows appended ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kmsd-audit-'));
    dirs.push(dir);
    const file = join(dir, 'audit.log');
    writeFileSync(file, ['A', 'B', 'C'].map((n) => record(n)).join('\n') + '\n');
    const out: string[] = [];
    await tailAudit({ file, lines: 2, follow: false, write: (s) => out.push(s) });
    expect(out.map((l) => l.split('  ')[1])).toEqual(['kms:B', 'kms:C']);

    const followed: string[] = [];
    const stop = new AbortController();
    const done = tailAudit({ file, lines: 0, follow: true, write: (s) => followed.push(s), signal: stop.signal, pollMs: 20 });
    appendFileSync(file, record('D') + '\n' + record('E').slice(0, 20));
    await expect.poll(() => followed.length, { timeout: 5000 }).toBe(1);
    appendFileSync(file, record('E').slice(20) + '\n');
    await expect.poll(() => followed.length, { timeout: 5000 }).toBe(2);
    stop.abort();
    await done;
    expect(followed.map((l) => l.split('  ')[1])).toEqual(['kms:D', 'kms:E']);
  });
});
