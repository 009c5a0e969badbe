/**
 * Encrypt (xks-proxy.md §4.2): AES-GCM in the token, AAD framed as §4.2 prescribes, and the
 * ciphertext data integrity value when KMS asks for one. Plaintext is never logged.
 */
import { createHash } from 'node:crypto';
import type { ExternalKeyManager } from '../key-manager.js';
import { base64Member, gcmAad, invalid, requestMetadata, requireAesGcm } from '../request.js';
import type { JsonObject } from '../request.js';
import { XksError } from '../errors.js';

/** The framing of §4.2 has a 16-bit AAD length. */
const MAX_AAD_BYTES = 0xffff;

export async function encrypt(keys: ExternalKeyManager, keyId: string, body: JsonObject): Promise<JsonObject> {
  requestMetadata(body, ['awsPrincipalArn', 'kmsKeyArn']);
  const plaintext = base64Member(body, 'plaintext', true);
  requireAesGcm(body);
  const aad = base64Member(body, 'additionalAuthenticatedData', false) ?? Buffer.alloc(0);
  if (aad.length > MAX_AAD_BYTES) throw new XksError('UnsupportedOperationException', 'additionalAuthenticatedData is too long');
  const cdivAlgorithm = body.ciphertextDataIntegrityValueAlgorithm;
  if (cdivAlgorithm !== undefined && cdivAlgorithm !== 'SHA_256') throw invalid('ciphertextDataIntegrityValueAlgorithm must be SHA_256');

  const sealed = await keys.encrypt(keyId, plaintext, gcmAad(aad, Buffer.alloc(0)));
  const answer: JsonObject = {
    ciphertext: sealed.ciphertext.toString('base64'),
    initializationVector: sealed.iv.toString('base64'),
    authenticationTag: sealed.tag.toString('base64'),
  };
  if (cdivAlgorithm === 'SHA_256') {
    // CDIV = SHA-256(aad ‖ ciphertextMetadata ‖ iv ‖ ciphertext ‖ tag); no metadata here.
    answer.ciphertextDataIntegrityValue = createHash('sha256')
      .update(aad)
      .update(sealed.iv)
      .update(sealed.ciphertext)
      .update(sealed.tag)
      .digest('base64');
  }
  return answer;
}
