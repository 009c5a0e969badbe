/**
 * @peculiar/x509, bound to Node's WebCrypto, loaded on first use: it (with the decorator
 * metadata polyfill its dependency injection needs) costs a large share of kmsd's start-up,
 * and only cluster certificate work needs it.
 */
import { webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';

export type { X509 };

let loading: Promise<typeof X509> | undefined;

export function loadX509(): Promise<typeof X509> {
  loading ??= (async () => {
    await import('reflect-metadata');
    const x509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto as unknown as Crypto);
    return x509;
  })();
  return loading;
}
