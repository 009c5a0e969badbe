/** Decrypt (xks-proxy.md §4.3): the reverse of Encrypt; any altered field fails authentication. */
import type { ExternalKeyManager } from '../key-manager.js';
import { base64Member, gcmAad, requestMetadata, requireAesGcm } from '../request.js';
import type { JsonObject } from '../request.js';
import { XksError } from '../errors.js';

export async function decrypt(keys: ExternalKeyManager, keyId: string, body: JsonObject): Promise<JsonObject> {
  requestMetadata(body, ['awsPrincipalArn', 'kmsKeyArn']);
  requireAesGcm(body);
  const ciphertext = base64Member(body, 'ciphertext', true);
  const iv = base64Member(body, 'initializationVector', true);
  const tag = base64Member(body, 'authenticationTag', true);
  const aad = base64Member(body, 'additionalAuthenticatedData', false) ?? Buffer.alloc(0);
  const ciphertextMetadata = base64Member(body, 'ciphertextMetadata', false) ?? Buffer.alloc(0);
  // §6: a corrupt IV, tag or metadata is InvalidCiphertextException, like a failed tag check.
  if ((iv.length !== 12 && iv.length !== 16) || tag.length !== 16 || ciphertextMetadata.length > 20 || aad.length > 0xffff) {
    throw new XksError('InvalidCiphertextException', 'the IV, tag or ciphertext metadata is malformed');
  }
  const plaintext = await keys.decrypt(keyId, { iv, ciphertext, tag }, gcmAad(aad, ciphertextMetadata));
  return { plaintext: plaintext.toString('base64') };
}
