/**
 * Origin EXTERNAL_KEY_STORE: AWS's double encryption (custom-key-stores.md §12). Each KMS
 * key has its own kmsd-held material (kept like AWS_KMS material, under the root key); a
 * plaintext is sealed with it first, and that result is then encrypted by the external key
 * through the store's XKS proxy. Neither kmsd nor the proxy alone can open a body.
 *
 * Body layout (docs/ciphertext-format.md): version(1)=1 ‖ ivLen(1) ‖ iv ‖ ctmLen(1) ‖
 * ciphertextMetadata ‖ tag(16) ‖ proxy ciphertext of the inner body.
 */
import type { RootKey } from './root-key.js';
import type { LocalKeyBackend } from './local-key-backend.js';
import { CiphertextAuthenticationError, XksProxyError } from './errors.js';
import type { BackendKeyRef, SymmetricKeyBackend } from './key-backend.js';
import type { XksProxyClient, XksProxyTarget, XksRequestMetadata } from './xks-proxy-client.js';
import type { Scope } from '../store/store.js';

const BODY_VERSION = 1;
const TAG_LENGTH = 16;

/** Who triggered a proxy call: the proxy receives it as requestMetadata (xks-proxy.md §3). */
export interface XksCaller {
  /** Absent for KMS's own calls (the periodic KmsHealthCheck). */
  principalArn?: string;
  operation: string;
  requestId: string;
}

export class XksKeyStores {
  constructor(
    readonly client: XksProxyClient,
    private readonly rootKey: RootKey,
    private readonly localKeys: LocalKeyBackend,
  ) {}

  /** The proxy's secret access key is stored only wrapped, bound to its store. */
  wrapSecret(scope: Scope, customKeyStoreId: string, secret: string): string {
    return this.rootKey.wrap(Buffer.from(secret, 'utf8'), secretAad(scope, customKeyStoreId));
  }

  unwrapSecret(scope: Scope, customKeyStoreId: string, wrapped: string): string {
    return this.rootKey.unwrap(wrapped, secretAad(scope, customKeyStoreId)).toString('utf8');
  }

  /** A backend for the keys of one store, for one KMS request. */
  forRequest(target: XksProxyTarget, caller: XksCaller): SymmetricKeyBackend {
    const { client, localKeys } = this;
    const metadata = (ref: BackendKeyRef): XksRequestMetadata => ({
      awsPrincipalArn: caller.principalArn,
      kmsKeyArn: ref.arn,
      kmsOperation: caller.operation,
      kmsRequestId: caller.requestId,
    });
    return {
      createMaterial: (ref) => localKeys.createMaterial(ref),
      destroyMaterial: (ref) => localKeys.destroyMaterial(ref),
      async seal(ref, plaintext, aad) {
        const inner = await localKeys.seal(ref, plaintext, aad);
        const outer = await client.encrypt(target, externalKeyId(ref), inner, aad, metadata(ref));
        const ctm = outer.ciphertextMetadata ?? Buffer.alloc(0);
        return Buffer.concat([
          Buffer.from([BODY_VERSION, outer.initializationVector.length]),
          outer.initializationVector,
          Buffer.from([ctm.length]),
          ctm,
          outer.authenticationTag,
          outer.ciphertext,
        ]);
      },
      async open(ref, body, aad) {
        const sealed = parseBody(body);
        const inner = await client.decrypt(target, externalKeyId(ref), sealed, aad, metadata(ref));
        return localKeys.open(ref, inner, aad);
      },
      /** GetHealthStatus at the proxy (xks-proxy.md §4.4): healthy unless it fails or every EKM is UNAVAILABLE. */
      async health() {
        try {
          await client.getHealthStatus(target, {
            kmsRequestId: caller.requestId,
            kmsOperation: caller.operation,
            awsPrincipalArn: caller.principalArn,
          });
          return { healthy: true };
        } catch (err) {
          if (err instanceof XksProxyError) return { healthy: false, error: err };
          throw err;
        }
      },
    };
  }
}

function externalKeyId(ref: BackendKeyRef): string {
  if (!ref.xksKeyId) throw new Error(`KMS key ${ref.arn} has no external key id`);
  return ref.xksKeyId;
}

function parseBody(body: Buffer) {
  if (body.length < 2 || body[0] !== BODY_VERSION) throw new CiphertextAuthenticationError();
  const ivLength = body[1];
  const ctmAt = 2 + ivLength;
  if ((ivLength !== 12 && ivLength !== 16) || body.length <= ctmAt) throw new CiphertextAuthenticationError();
  const ctmLength = body[ctmAt];
  const tagAt = ctmAt + 1 + ctmLength;
  if (ctmLength > 20 || body.length < tagAt + TAG_LENGTH + 1) throw new CiphertextAuthenticationError();
  return {
    initializationVector: body.subarray(2, ctmAt),
    ciphertextMetadata: ctmLength > 0 ? body.subarray(ctmAt + 1, tagAt) : undefined,
    authenticationTag: body.subarray(tagAt, tagAt + TAG_LENGTH),
    ciphertext: body.subarray(tagAt + TAG_LENGTH),
  };
}

function secretAad(scope: Scope, customKeyStoreId: string): string {
  return `xks-proxy-secret:${scope.account}:${scope.region}:${customKeyStoreId}`;
}
