/** What GenerateDataKey and GenerateDataKeyWithoutPlaintext share. */
import { ValidationException } from '../core/service-error.js';
import { secretRandomBytes } from '../core/public-random.js';
import type { DataKeySpec } from '../generated/kms.js';
import type { KmsContext } from './context.js';
import type { EncryptionContext } from './encryption-context.js';
import { assertUsableForCrypto, findKey } from './keys.js';
import { assertSymmetricEncryptionKey, sealWithKey } from './symmetric.js';
import { assertDryRun } from './dry-run.js';

const SPEC_BYTES: Record<DataKeySpec, number> = { AES_128: 16, AES_256: 32 };

export interface DataKeyRequest {
  KeyId: string;
  EncryptionContext?: EncryptionContext;
  KeySpec?: DataKeySpec;
  NumberOfBytes?: number;
  DryRun?: boolean;
}

/**
 * A fresh random data key, returned in plaintext and sealed under the KMS key. Exactly one of
 * KeySpec and NumberOfBytes (1–1024, checked by the model) says its length; AWS rejects
 * neither and both with a ValidationException.
 */
export async function generateDataKey(
  input: DataKeyRequest,
  ctx: KmsContext,
  operation: 'GenerateDataKey' | 'GenerateDataKeyWithoutPlaintext',
): Promise<{ plaintext: Buffer; blob: Buffer; keyArn: string; materialId: string }> {
  if ((input.KeySpec === undefined) === (input.NumberOfBytes === undefined)) {
    throw new ValidationException('Please specify either number of bytes or key spec.');
  }
  const key = await findKey(ctx, input.KeyId, { allowAlias: true });
  await assertUsableForCrypto(ctx, key);
  assertSymmetricEncryptionKey(key, undefined, operation);
  assertDryRun(input.DryRun);
  const plaintext = secretRandomBytes(input.KeySpec !== undefined ? SPEC_BYTES[input.KeySpec] : (input.NumberOfBytes ?? 0));
  const { blob, materialId } = await sealWithKey(ctx, key, plaintext, input.EncryptionContext);
  return { plaintext, blob, keyArn: key.arn, materialId };
}
