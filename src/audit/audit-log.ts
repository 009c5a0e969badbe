/**
 * The audit log (--audit-log FILE): one CloudTrail-style JSON line per API call, allowed or
 * refused. Lines go through an append stream, so the request path never waits for the disk;
 * the file is created 0600 because it names principals and resources.
 *
 * Field names follow CloudTrail's record contents (eventTime, eventSource, eventName,
 * userIdentity {type, principalId, arn, accountId, accessKeyId}, requestParameters, resources,
 * errorCode, errorMessage, requestID, eventID). Request parameters are redacted (redact.ts).
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import type { Principal } from '../auth/principal.js';

export interface AuditEvent {
  time: Date;
  /** e.g. kms.amazonaws.com */
  eventSource: string;
  eventName: string;
  region?: string;
  sourceIp: string;
  userAgent?: string;
  /** Absent when the request was refused before its signer was known. */
  principal?: Principal;
  accessKeyId?: string;
  requestParameters?: Record<string, unknown>;
  resources: string[];
  error?: { code: string; message: string };
  requestId: string;
  /** The call came from the web console's session, not a SigV4 client. */
  fromConsole?: boolean;
}

const USER_IDENTITY_TYPE: Record<Principal['type'], string> = { Account: 'Root', User: 'IAMUser', AssumedRole: 'AssumedRole' };

/** CloudTrail's resource types for the ARNs kmsd decides on. */
function resourceType(arn: string): string | undefined {
  const [, , service, , , resource = ''] = arn.split(':');
  const kind = resource.split('/')[0];
  if (service === 'kms') return kind === 'alias' ? 'AWS::KMS::Alias' : 'AWS::KMS::Key';
  if (service === 'cloudhsm') return kind === 'backup' ? 'AWS::CloudHSM::Backup' : 'AWS::CloudHSM::Cluster';
  if (service === 'iam' && kind === 'role') return 'AWS::IAM::Role';
  return undefined;
}

function userIdentity(event: AuditEvent): Record<string, unknown> | undefined {
  const p = event.principal;
  if (!p) return event.accessKeyId ? { type: 'Unknown', accessKeyId: event.accessKeyId } : undefined;
  return {
    type: USER_IDENTITY_TYPE[p.type],
    principalId: p.userId,
    arn: p.arn,
    accountId: p.accountId,
    accessKeyId: event.accessKeyId,
    ...(p.userName !== undefined ? { userName: p.userName } : {}),
    ...(p.roleArn !== undefined
      ? {
          sessionContext: {
            sessionIssuer: { type: 'Role', principalId: p.userId.split(':')[0], arn: p.roleArn, accountId: p.accountId },
          },
        }
      : {}),
  };
}

/** The JSON record of one event, as written to the file. */
export function auditRecord(event: AuditEvent): Record<string, unknown> {
  return {
    eventVersion: '1.08',
    eventTime: event.time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    eventSource: event.eventSource,
    eventName: event.eventName,
    awsRegion: event.region,
    sourceIPAddress: event.sourceIp,
    userAgent: event.userAgent,
    userIdentity: userIdentity(event),
    requestParameters: event.requestParameters ?? null,
    responseElements: null,
    resources: event.resources.map((arn) => ({ accountId: arn.split(':')[4], type: resourceType(arn), ARN: arn })),
    ...(event.error ? { errorCode: event.error.code, errorMessage: event.error.message } : {}),
    requestID: event.requestId,
    eventID: randomUUID(),
    eventType: 'AwsApiCall',
    recipientAccountId: event.principal?.accountId,
    ...(event.fromConsole ? { sessionCredentialFromConsole: 'true' } : {}),
  };
}

export class AuditLog {
  private readonly stream: WriteStream;
  private broken = false;

  constructor(
    readonly file: string,
    onError: (err: Error) => void,
  ) {
    this.stream = createWriteStream(file, { flags: 'a', mode: 0o600 });
    this.stream.on('error', (err) => {
      // Report once; a broken audit file must not take the service down with it.
      if (!this.broken) onError(err);
      this.broken = true;
    });
  }

  record(event: AuditEvent): void {
    if (!this.broken) this.stream.write(JSON.stringify(auditRecord(event)) + '\n');
  }

  /** Flushes what was written and closes the file. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.broken || this.stream.closed) return resolve();
      this.stream.end(() => resolve());
    });
  }
}

/** CloudTrail's eventSource for a service, by its signing name (`kms`, `cloudhsm`, `sts`). */
export function eventSourceOf(signingName: string, targetPrefix?: string): string {
  // kmsd's own HSM management API (what AWS does outside its API) is not an AWS service.
  if (targetPrefix === 'KmsdHsmManagement') return 'hsm-management.kmsd';
  return `${signingName}.amazonaws.com`;
}
