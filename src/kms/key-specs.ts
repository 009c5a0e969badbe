/**
 * The key specs kmsd creates and what each allows (ciphertext-and-crypto.md §4): key usages,
 * and the encryption, signing and MAC algorithms KeyMetadata and GetPublicKey list.
 */
import type {
  CustomerMasterKeySpec,
  EncryptionAlgorithmSpec,
  KeyAgreementAlgorithmSpec,
  KeySpec,
  KeyUsageType,
  MacAlgorithmSpec,
  SigningAlgorithmSpec,
} from '../generated/kms.js';

export type HmacKeySpec = 'HMAC_224' | 'HMAC_256' | 'HMAC_384' | 'HMAC_512';
export type RsaKeySpec = 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
export type EccKeySpec = 'ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | 'ECC_SECG_P256K1' | 'ECC_NIST_EDWARDS25519';
export type MlDsaKeySpec = 'ML_DSA_44' | 'ML_DSA_65' | 'ML_DSA_87';
/** Key pairs node:crypto generates and keeps as PKCS#8 (also the data key pair specs). */
export type NodeKeyPairSpec = RsaKeySpec | EccKeySpec | 'SM2';
export type AsymmetricKeySpec = NodeKeyPairSpec | MlDsaKeySpec;

/** HMAC keys: the MAC algorithm, node:crypto's hash and the key length (= hash length). */
export const HMAC_SPECS: Record<HmacKeySpec, { algorithm: MacAlgorithmSpec; hash: string; bytes: number }> = {
  HMAC_224: { algorithm: 'HMAC_SHA_224', hash: 'sha224', bytes: 28 },
  HMAC_256: { algorithm: 'HMAC_SHA_256', hash: 'sha256', bytes: 32 },
  HMAC_384: { algorithm: 'HMAC_SHA_384', hash: 'sha384', bytes: 48 },
  HMAC_512: { algorithm: 'HMAC_SHA_512', hash: 'sha512', bytes: 64 },
};

export const RSA_BITS: Record<RsaKeySpec, number> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };

/** node:crypto's curve names; Ed25519 is its own key type. */
export const ECC_CURVES: Record<Exclude<EccKeySpec, 'ECC_NIST_EDWARDS25519'>, string> = {
  ECC_NIST_P256: 'prime256v1',
  ECC_NIST_P384: 'secp384r1',
  ECC_NIST_P521: 'secp521r1',
  ECC_SECG_P256K1: 'secp256k1',
};

const RSA_SIGNING: SigningAlgorithmSpec[] = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
];
export const RSA_ENCRYPTION: EncryptionAlgorithmSpec[] = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];

/** SM2 (China Regions only): one algorithm per usage. */
const SM2_ALGORITHMS = { ENCRYPT_DECRYPT: 'SM2PKE', SIGN_VERIFY: 'SM2DSA' } as const;

/** The signing algorithms of the elliptic-curve and ML-DSA specs (RSA has RSA_SIGNING). */
const CURVE_AND_LATTICE_SIGNING: Record<EccKeySpec | MlDsaKeySpec | 'SM2', SigningAlgorithmSpec[]> = {
  ECC_NIST_P256: ['ECDSA_SHA_256'],
  ECC_NIST_P384: ['ECDSA_SHA_384'],
  ECC_NIST_P521: ['ECDSA_SHA_512'],
  ECC_SECG_P256K1: ['ECDSA_SHA_256'],
  ECC_NIST_EDWARDS25519: ['ED25519_SHA_512', 'ED25519_PH_SHA_512'],
  ML_DSA_44: ['ML_DSA_SHAKE_256'],
  ML_DSA_65: ['ML_DSA_SHAKE_256'],
  ML_DSA_87: ['ML_DSA_SHAKE_256'],
  SM2: [SM2_ALGORITHMS.SIGN_VERIFY],
};

/**
 * The key usages kmsd accepts for each spec it can create. KEY_AGREEMENT: the NIST curves and
 * SM2 (AWS offers ECDH neither on secp256k1 nor on Ed25519). SM2 only in the China Regions
 * (checked by CreateKey).
 */
const USAGES: Partial<Record<KeySpec, KeyUsageType[]>> = {
  SYMMETRIC_DEFAULT: ['ENCRYPT_DECRYPT'],
  HMAC_224: ['GENERATE_VERIFY_MAC'],
  HMAC_256: ['GENERATE_VERIFY_MAC'],
  HMAC_384: ['GENERATE_VERIFY_MAC'],
  HMAC_512: ['GENERATE_VERIFY_MAC'],
  RSA_2048: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_3072: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  RSA_4096: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY'],
  ECC_NIST_P256: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P384: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_NIST_P521: ['SIGN_VERIFY', 'KEY_AGREEMENT'],
  ECC_SECG_P256K1: ['SIGN_VERIFY'],
  ECC_NIST_EDWARDS25519: ['SIGN_VERIFY'],
  ML_DSA_44: ['SIGN_VERIFY'],
  ML_DSA_65: ['SIGN_VERIFY'],
  ML_DSA_87: ['SIGN_VERIFY'],
  SM2: ['ENCRYPT_DECRYPT', 'SIGN_VERIFY', 'KEY_AGREEMENT'],
};

/** The usages kmsd can create a key of this spec with; undefined when it cannot create the spec. */
export function usagesOf(spec: KeySpec): KeyUsageType[] | undefined {
  return USAGES[spec];
}

export function isHmacSpec(spec: KeySpec): spec is HmacKeySpec {
  return spec in HMAC_SPECS;
}

export function isRsaSpec(spec: KeySpec): spec is RsaKeySpec {
  return spec in RSA_BITS;
}

export function isAsymmetricSpec(spec: KeySpec): spec is AsymmetricKeySpec {
  return isRsaSpec(spec) || spec in CURVE_AND_LATTICE_SIGNING;
}

export function isMlDsaSpec(spec: KeySpec): spec is MlDsaKeySpec {
  return spec === 'ML_DSA_44' || spec === 'ML_DSA_65' || spec === 'ML_DSA_87';
}

/** The algorithm lists of KeyMetadata / GetPublicKey for a key. */
export function algorithmsOf(
  spec: KeySpec,
  usage: KeyUsageType,
): {
  EncryptionAlgorithms?: EncryptionAlgorithmSpec[];
  SigningAlgorithms?: SigningAlgorithmSpec[];
  MacAlgorithms?: MacAlgorithmSpec[];
  KeyAgreementAlgorithms?: KeyAgreementAlgorithmSpec[];
} {
  if (isHmacSpec(spec)) return { MacAlgorithms: [HMAC_SPECS[spec].algorithm] };
  if (usage === 'ENCRYPT_DECRYPT') {
    return {
      EncryptionAlgorithms: isRsaSpec(spec) ? RSA_ENCRYPTION : spec === 'SM2' ? [SM2_ALGORITHMS.ENCRYPT_DECRYPT] : ['SYMMETRIC_DEFAULT'],
    };
  }
  if (usage === 'SIGN_VERIFY') {
    return { SigningAlgorithms: isRsaSpec(spec) ? RSA_SIGNING : CURVE_AND_LATTICE_SIGNING[spec as EccKeySpec | MlDsaKeySpec | 'SM2'] };
  }
  if (usage === 'KEY_AGREEMENT') return { KeyAgreementAlgorithms: ['ECDH'] };
  return {};
}

/** The legacy CustomerMasterKeySpec mirrors KeySpec for the specs it has (not Ed25519 or ML-DSA). */
export function customerMasterKeySpecOf(spec: KeySpec): CustomerMasterKeySpec | undefined {
  return spec === 'ECC_NIST_EDWARDS25519' || spec.startsWith('ML_DSA') ? undefined : (spec as CustomerMasterKeySpec);
}
