/** @peculiar/x509, loaded after the metadata polyfill it needs and bound to Node's WebCrypto. */
import './reflect-metadata.js';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

export { x509 };
