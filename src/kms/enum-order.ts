/**
 * AWS KMS lists an enum's allowed values in ValidationException texts in its own order, not
 * the model's. These orders were recorded from the real service (LocalStack's AWS-validated
 * KMS snapshots, e.g. `[HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]` for
 * macAlgorithm). Values the model gained after the recording follow, in model order.
 */
import { KMS_MODEL } from '../generated/kms.js';

const RECORDED_ORDER: Record<string, readonly string[]> = {
  MacAlgorithmSpec: ['HMAC_SHA_384', 'HMAC_SHA_256', 'HMAC_SHA_224', 'HMAC_SHA_512'],
  KeySpec: [
    'RSA_2048',
    'ECC_NIST_P384',
    'ECC_NIST_P256',
    'ECC_NIST_P521',
    'HMAC_384',
    'RSA_3072',
    'ECC_SECG_P256K1',
    'RSA_4096',
    'SYMMETRIC_DEFAULT',
    'HMAC_256',
    'HMAC_224',
    'HMAC_512',
  ],
  KeyUsageType: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'GENERATE_VERIFY_MAC'],
};

function completeOrder(shapeName: string, recorded: readonly string[]): string[] {
  const all = KMS_MODEL.shapes[shapeName]?.enum ?? [];
  return [...recorded.filter((v) => all.includes(v)), ...all.filter((v) => !recorded.includes(v))];
}

export const KMS_ENUM_MESSAGE_ORDER: Record<string, readonly string[]> = Object.fromEntries(
  Object.entries(RECORDED_ORDER).map(([shape, recorded]) => [shape, completeOrder(shape, recorded)]),
);
