/**
 * KMS key material in a PKCS#11 token: one persistent, non-extractable AES-256 key per KMS
 * key, generated inside the token and labelled with the KMS key ARN (as CloudHSM labels the
 * keys KMS creates in a custom key store, create-cmk-keystore.md), used for AES-GCM inside
 * the token, destroyed there at the key's final deletion. kmsd stores nothing of the key.
 *
 * Body layout: iv(12) ‖ ciphertext ‖ tag(16), the layout of the CloudHsmClusters seam, so a
 * CloudHSM key store's ciphertexts look alike whichever backing its cluster has.
 *
 * The token is opened at its first use, not at start: kmsd serves everything else while a
 * token is missing or refuses the PIN, and its keys answer "unavailable" until it is back.
 */
import { readFileSync } from 'node:fs';
import { GCM_IV_LENGTH, GCM_TAG_LENGTH } from '../core/aes-gcm.js';
import { BackingKeyNotFoundError, CiphertextAuthenticationError, KeyStoreUnavailableError } from './errors.js';
import type { BackendKeyRef, KeyStoreHealth, SymmetricKeyBackend } from './key-backend.js';
import { Pkcs11DecryptionFailedError, Pkcs11KeyNotFoundError } from './pkcs11/errors.js';
import { Pkcs11Token } from './pkcs11/pkcs11-token.js';
import type { Pkcs11TokenOptions } from './pkcs11/pkcs11-token.js';

/** A token as the configuration file names it (config.ts `pkcs11Tokens`). */
export interface Pkcs11TokenConfig {
  /** The name clusters refer to, in the tag `kmsd:pkcs11-token`. */
  name: string;
  /** Path of the PKCS#11 shared library. */
  module: string;
  tokenLabel: string;
  /** A file holding the user PIN, or the environment variable holding it. */
  pinFile?: string;
  pinEnv?: string;
}

export class Pkcs11KeyBackend implements SymmetricKeyBackend {
  private token: Pkcs11Token | undefined;

  constructor(
    readonly name: string,
    private readonly options: Pkcs11TokenOptions,
  ) {}

  /**
   * Reads the PIN now, from a file or an environment variable. The variable stays set: the
   * workers of `kmsd serve --workers` read the configuration again and need it too.
   */
  static fromConfig(config: Pkcs11TokenConfig): Pkcs11KeyBackend {
    return new Pkcs11KeyBackend(config.name, { modulePath: config.module, tokenLabel: config.tokenLabel, pin: readPin(config) });
  }

  async createMaterial(ref: BackendKeyRef): Promise<void> {
    await this.use(ref, (token) => token.generateAesKey(ref.arn));
  }

  async seal(ref: BackendKeyRef, plaintext: Buffer, aad: Buffer): Promise<Buffer> {
    const sealed = await this.use(ref, (token) => token.encrypt(ref.arn, plaintext, aad));
    return Buffer.concat([sealed.iv, sealed.ciphertext, sealed.tag]);
  }

  async open(ref: BackendKeyRef, body: Buffer, aad: Buffer): Promise<Buffer> {
    if (body.length < GCM_IV_LENGTH + GCM_TAG_LENGTH) throw new CiphertextAuthenticationError();
    const sealed = {
      iv: body.subarray(0, GCM_IV_LENGTH),
      ciphertext: body.subarray(GCM_IV_LENGTH, body.length - GCM_TAG_LENGTH),
      tag: body.subarray(body.length - GCM_TAG_LENGTH),
    };
    return this.use(ref, (token) => token.decrypt(ref.arn, sealed, aad));
  }

  async destroyMaterial(ref: BackendKeyRef): Promise<void> {
    await this.use(ref, (token) => token.destroyKey(ref.arn));
  }

  /** The token's deep health check: it answers, and encrypts and decrypts with a session-only key. */
  async health(): Promise<KeyStoreHealth> {
    try {
      await this.use(undefined, (token) => token.health());
      return { healthy: true };
    } catch (err) {
      if (err instanceof KeyStoreUnavailableError) return { healthy: false, error: err };
      throw err;
    }
  }

  close(): void {
    this.token?.close();
    this.token = undefined;
  }

  /** Runs `work` on the open token, with the token's failures as the port's errors. */
  private async use<T>(ref: BackendKeyRef | undefined, work: (token: Pkcs11Token) => Promise<T>): Promise<T> {
    try {
      this.token ??= Pkcs11Token.open(this.options);
      return await work(this.token);
    } catch (err) {
      if (err instanceof Pkcs11KeyNotFoundError && ref) throw new BackingKeyNotFoundError(ref.arn);
      if (err instanceof Pkcs11DecryptionFailedError) throw new CiphertextAuthenticationError();
      // Anything else (module, login, a Cryptoki failure) means the token cannot serve now.
      throw new KeyStoreUnavailableError(`PKCS#11 token ${this.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function readPin(config: Pkcs11TokenConfig): string {
  if (config.pinFile !== undefined) return readFileSync(config.pinFile, 'utf8').trim();
  const value = config.pinEnv !== undefined ? process.env[config.pinEnv] : undefined;
  if (!value) throw new Error(`PKCS#11 token ${config.name}: no PIN (set ${config.pinEnv ?? 'pinFile or pinEnv'})`);
  return value;
}
