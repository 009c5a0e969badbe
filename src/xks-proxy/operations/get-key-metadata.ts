/** GetKeyMetadata (xks-proxy.md §4.1): the key's spec, usages and status. */
import { XksError } from '../errors.js';
import type { ExternalKeyManager } from '../key-manager.js';
import { requestMetadata } from '../request.js';
import type { JsonObject } from '../request.js';

export async function getKeyMetadata(keys: ExternalKeyManager, keyId: string, body: JsonObject): Promise<JsonObject> {
  requestMetadata(body, ['awsPrincipalArn']);
  const info = await keys.describeKey(keyId);
  if (!info) throw new XksError('KeyNotFoundException', 'no such external key');
  const keyUsage = [...(info.canEncrypt ? ['ENCRYPT'] : []), ...(info.canDecrypt ? ['DECRYPT'] : [])];
  // PKCS#11 keys have no disabled state this proxy manages: §4.1 says such a proxy answers ENABLED.
  return { keySpec: info.aes256 ? 'AES_256' : 'OTHER', keyUsage, keyStatus: 'ENABLED' };
}
