/** Stored KMS key rows for tests that work below the API (store, sweeper, trackers). */
import type { Scope } from '../../src/store/store.js';
import { keyArn } from '../../src/kms/keys.js';
import type { KeyRow } from '../../src/kms/keys.js';

/** An Enabled symmetric AWS_KMS key with one material version, changed by `overrides`. */
export function keyRow(scope: Scope, keyId: string, overrides: Partial<KeyRow> = {}): KeyRow {
  return {
    keyId,
    arn: keyArn(scope, keyId),
    account: scope.account,
    region: scope.region,
    creationDate: 0,
    description: '',
    keyUsage: 'ENCRYPT_DECRYPT',
    keySpec: 'SYMMETRIC_DEFAULT',
    origin: 'AWS_KMS',
    state: 'Enabled',
    policy: '{}',
    tags: [],
    currentMaterialId: 'a'.repeat(64),
    materialIds: ['a'.repeat(64)],
    rotation: { enabled: false },
    rotations: [],
    ...overrides,
  };
}
