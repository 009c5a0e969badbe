/**
 * AWS managed keys: the keys AWS services create in a customer's account, named by the
 * predefined `alias/aws/<service>` aliases. Every account and Region lists these aliases
 * (without TargetKeyId until the key exists), and the key behind one is created the first
 * time it is used, e.g. by DescribeKey `alias/aws/s3`, as AWS does.
 *
 * Which aliases: the fourteen that moto lists for a new account (getmoto/moto
 * moto/kms/utils.py RESERVED_ALIASES and its test_list_aliases); no AWS recording of
 * ListAliases is public. The key policy follows the shape AWS documents for AWS managed keys
 * (the Developer Guide's "AWS managed keys" example): any principal of the account through
 * the service (kms:ViaService, kms:CallerAccount), and the account itself only
 * Describe*, Get*, List* and RevokeGrant. kmsd stores that policy but, having no services to
 * call through, lets the account use the key for cryptography directly.
 */
import type { KmsContext } from './context.js';
import { aliasTable } from './aliases.js';
import { generateKeyMaterial, storeKeyMaterial } from './key-material.js';
import { keyArn, newKeyId, newMaterialId, onMissingAlias, saveKey } from './keys.js';
import type { KeyRow } from './keys.js';
import { DEFAULT_ROTATION_PERIOD_DAYS } from './rotation.js';
import { DAY_MS } from '../core/clock.js';

interface ManagedAlias {
  /** The service's part of the alias name, `alias/aws/<name>`. */
  name: string;
  /** The service endpoint prefix its key policy names in kms:ViaService. */
  viaService: string;
  /** What the key protects, for its description. */
  protects: string;
}

const MANAGED_ALIASES: ManagedAlias[] = [
  { name: 'acm', viaService: 'acm', protects: 'ACM private keys' },
  { name: 'dynamodb', viaService: 'dynamodb', protects: 'DynamoDB data' },
  { name: 'ebs', viaService: 'ec2', protects: 'EBS volumes' },
  { name: 'elasticfilesystem', viaService: 'elasticfilesystem', protects: 'EFS file systems' },
  { name: 'es', viaService: 'es', protects: 'OpenSearch Service data' },
  { name: 'glue', viaService: 'glue', protects: 'Glue data' },
  { name: 'kinesisvideo', viaService: 'kinesisvideo', protects: 'Kinesis Video Streams data' },
  { name: 'lambda', viaService: 'lambda', protects: 'Lambda functions' },
  { name: 'rds', viaService: 'rds', protects: 'RDS database volumes' },
  { name: 'redshift', viaService: 'redshift', protects: 'Redshift data' },
  { name: 's3', viaService: 's3', protects: 'S3 objects' },
  { name: 'secretsmanager', viaService: 'secretsmanager', protects: 'Secrets Manager data' },
  { name: 'ssm', viaService: 'ssm', protects: 'SSM parameters' },
  { name: 'xray', viaService: 'xray', protects: 'X-Ray data' },
];

/** The predefined alias names, in the order ListAliases shows them. */
export const MANAGED_ALIAS_NAMES: readonly string[] = MANAGED_ALIASES.map((a) => `alias/aws/${a.name}`);

function managedAlias(aliasName: string): ManagedAlias | undefined {
  return MANAGED_ALIASES.find((a) => `alias/aws/${a.name}` === aliasName);
}

/** The key policy of an AWS managed key, in the layout AWS returns policies in (authorization.md §1.1). */
export function managedKeyPolicy(account: string, region: string, service: ManagedAlias): string {
  return `{
  "Version" : "2012-10-17",
  "Id" : "auto-${service.name}-1",
  "Statement" : [ {
    "Sid" : "Allow access through ${service.name} for all principals in the account that are authorized to use ${service.name}",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "*"
    },
    "Action" : [ "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey" ],
    "Resource" : "*",
    "Condition" : {
      "StringEquals" : {
        "kms:CallerAccount" : "${account}",
        "kms:ViaService" : "${service.viaService}.${region}.amazonaws.com"
      }
    }
  }, {
    "Sid" : "Allow direct access to key metadata to the account",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::${account}:root"
    },
    "Action" : [ "kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant" ],
    "Resource" : "*"
  } ]
}`;
}

/**
 * The AWS managed key behind a predefined alias that has no key yet: created now, with its
 * alias, in one transaction (a concurrent first use finds the alias the other one made).
 * Undefined for any other alias name.
 */
async function createManagedKeyOnFirstUse(ctx: KmsContext, aliasName: string): Promise<string | undefined> {
  const service = managedAlias(aliasName);
  if (!service) return undefined;
  return ctx.deps.store.transaction(async () => {
    const aliases = aliasTable(ctx.deps.store);
    const existing = await aliases.get(ctx.scope, aliasName);
    if (existing) return existing.targetKeyId;
    const now = ctx.now.getTime();
    const keyId = newKeyId();
    const materialId = newMaterialId();
    const key: KeyRow = {
      keyId,
      arn: keyArn(ctx.scope, keyId),
      account: ctx.scope.account,
      region: ctx.scope.region,
      creationDate: now,
      description: `Default key that protects my ${service.protects} when no other key is defined`,
      keyUsage: 'ENCRYPT_DECRYPT',
      keySpec: 'SYMMETRIC_DEFAULT',
      origin: 'AWS_KMS',
      state: 'Enabled',
      policy: managedKeyPolicy(ctx.scope.account, ctx.scope.region, service),
      tags: [],
      currentMaterialId: materialId,
      materialIds: [materialId],
      // AWS rotates AWS managed keys every year, and nobody can change that.
      rotation: {
        enabled: true,
        periodInDays: DEFAULT_ROTATION_PERIOD_DAYS,
        nextRotationDate: now + DEFAULT_ROTATION_PERIOD_DAYS * DAY_MS,
      },
      rotations: [],
      keyManager: 'AWS',
    };
    // 32 random bytes: cheap enough to make inside the transaction.
    const made = await generateKeyMaterial(key.keySpec);
    await storeKeyMaterial(ctx, key, made);
    made.material.fill(0);
    await saveKey(ctx, key);
    await aliases.put(ctx.scope, aliasName, { aliasName, targetKeyId: keyId, creationDate: now, lastUpdatedDate: now });
    return keyId;
  });
}

export function registerManagedKeys(): void {
  onMissingAlias(createManagedKeyOnFirstUse);
}
