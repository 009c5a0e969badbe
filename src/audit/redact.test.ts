import { describe, expect, it } from 'vitest';
import { KMS_MODEL } from '../generated/kms.js';
import { redactJsonInput, redactQueryInput } from './redact.js';

describe('audit redaction', () => {
  it('drops sensitive shapes, blobs and secret-named members; keeps the rest in lowerCamel', () => {
    expect(
      redactJsonInput(KMS_MODEL, 'Encrypt', {
        KeyId: 'alias/app',
        Plaintext: 'c2VjcmV0',
        EncryptionContext: { Dept: 'IT', __proto__x: 'y' },
        GrantTokens: ['token-1'],
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      }),
    ).toEqual({ keyId: 'alias/app', encryptionContext: { Dept: 'IT', __proto__x: 'y' }, encryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
    expect(redactJsonInput(KMS_MODEL, 'Decrypt', { CiphertextBlob: 'AQID', KeyId: 'k' })).toEqual({ keyId: 'k' });
    expect(
      redactJsonInput(KMS_MODEL, 'CreateCustomKeyStore', {
        CustomKeyStoreName: 'store',
        KeyStorePassword: 'kmsuser-password',
        XksProxyAuthenticationCredential: { AccessKeyId: 'ABCDEFGHIJKLMNOPQRST', RawSecretAccessKey: 'x'.repeat(43) },
      }),
    ).toEqual({ customKeyStoreName: 'store' });
  });

  it('drops members the model does not know and tolerates junk', () => {
    expect(redactJsonInput(KMS_MODEL, 'ListKeys', { Limit: 5, Extra: 'x' })).toEqual({ limit: 5 });
    expect(redactJsonInput(KMS_MODEL, 'ListKeys', 'junk')).toBeUndefined();
    expect(redactJsonInput(KMS_MODEL, 'NoSuchOperation', {})).toBeUndefined();
  });

  it('keeps STS parameters except Action, Version and secret-named ones', () => {
    const params = new URLSearchParams({ Action: 'AssumeRole', Version: '2011-06-15', RoleArn: 'arn:x', TokenCode: '123456' });
    expect(redactQueryInput(params)).toEqual({ roleArn: 'arn:x' });
  });
});
