/**
 * One PKCS#11 token, as an HSM backend: AES-256 keys named by their CKA_LABEL, generated
 * inside the token (CKA_TOKEN, sensitive, never extractable), used for AES-GCM with a 12-byte
 * IV and a 16-byte tag, destroyed by label, and a deep health check.
 *
 * Sessions: Cryptoki allows one active operation per session, so every operation borrows a
 * session from a small pool and gives it back; a session whose operation failed is closed
 * rather than reused (its state is unknown). The user login is per application, not per
 * session (PKCS#11 v2.40 §5.5), so one session opened at start and held until close keeps
 * every pooled session logged in. Encrypt and decrypt run on Node's thread pool (pkcs11js'
 * async calls); the module was initialized with CKF_OS_LOCKING_OK for that.
 */
import { createHash, randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { acquireModule, cryptokiReason, releaseModule } from './pkcs11-module.js';
import {
  Pkcs11DecryptionFailedError,
  Pkcs11KeyExistsError,
  Pkcs11KeyNotFoundError,
  Pkcs11KeyUsageError,
  Pkcs11OperationError,
  Pkcs11UnavailableError,
} from './errors.js';

export interface Pkcs11TokenOptions {
  /** Path of the PKCS#11 shared library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  modulePath: string;
  /** CKA token label (as given to softhsm2-util --init-token --label). */
  tokenLabel: string;
  /** The user (CKU_USER) PIN. Kept in memory only, never logged. */
  pin: string;
  /** Idle sessions kept open for reuse (default 8). */
  maxIdleSessions?: number;
}

export interface Pkcs11KeyInfo {
  label: string;
  /** AES and 32 bytes of value: the only kind the XKS API uses (AES_256). */
  aes256: boolean;
  canEncrypt: boolean;
  canDecrypt: boolean;
}

export interface GcmSealed {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

export interface Pkcs11TokenHealth {
  tokenLabel: string;
  manufacturer: string;
  model: string;
}

const IV_BYTES = 12;
const TAG_BYTES = 16;
const AES_256_BYTES = 32;

type Session = pkcs11js.Handle;

/** Digests of the PINs that logged this process in, by module and slot. */
const loggedIn = new Map<string, string>();
const loginKey = (options: Pkcs11TokenOptions, slot: pkcs11js.Handle) => `${options.modulePath}#${slot.toString('hex')}`;
const pinDigest = (pin: string) => createHash('sha256').update(pin).digest('hex');

export class Pkcs11Token {
  private readonly idle: Session[] = [];
  private readonly maxIdle: number;
  /** Key handles by label; a destroyed or stale handle is looked up again. */
  private readonly handles = new Map<string, pkcs11js.Handle>();
  /** A session-only key (CKA_TOKEN false) that the deep health check encrypts with. */
  private healthKey: pkcs11js.Handle | undefined;
  private closed = false;

  private constructor(
    private readonly module: pkcs11js.PKCS11,
    private readonly options: Pkcs11TokenOptions,
    private readonly slot: pkcs11js.Handle,
    private readonly loginSession: Session,
  ) {
    this.maxIdle = options.maxIdleSessions ?? 8;
  }

  /** Loads the module, finds the token by label and logs in as its user. */
  static open(options: Pkcs11TokenOptions): Pkcs11Token {
    const module = acquireModule(options.modulePath);
    try {
      const slot = module.C_GetSlotList(true).find((s) => trimmed(module.C_GetTokenInfo(s).label) === options.tokenLabel);
      if (!slot) throw new Pkcs11UnavailableError(`no token labelled '${options.tokenLabel}' in ${options.modulePath}`);
      const session = module.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      try {
        module.C_Login(session, pkcs11js.CKU_USER, options.pin);
      } catch (err) {
        // Another token object of this process may have logged the application in already;
        // the token cannot check this PIN then, so it is compared with the one that worked.
        const reason = cryptokiReason(err);
        if (reason !== 'CKR_USER_ALREADY_LOGGED_IN' || loggedIn.get(loginKey(options, slot)) !== pinDigest(options.pin)) {
          module.C_CloseSession(session);
          throw new Pkcs11UnavailableError(
            `cannot log in to token '${options.tokenLabel}': ${reason === 'CKR_USER_ALREADY_LOGGED_IN' ? 'CKR_PIN_INCORRECT' : reason}`,
          );
        }
      }
      loggedIn.set(loginKey(options, slot), pinDigest(options.pin));
      return new Pkcs11Token(module, options, slot, session);
    } catch (err) {
      releaseModule(options.modulePath);
      if (err instanceof Pkcs11UnavailableError) throw err;
      throw new Pkcs11UnavailableError(`cannot open token '${options.tokenLabel}': ${cryptokiReason(err)}`);
    }
  }

  /** Generates a new AES-256 key in the token, usable for encrypt and decrypt only. */
  async generateAesKey(label: string): Promise<void> {
    await this.withSession((session) => {
      if (this.find(session, label)) throw new Pkcs11KeyExistsError(label);
      const handle = this.module.C_GenerateKey(session, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        ...aesKeyTemplate(AES_256_BYTES),
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_LABEL, value: label },
      ]);
      this.handles.set(label, handle);
    });
  }

  /** The key labelled `label`, or undefined. */
  async describeKey(label: string): Promise<Pkcs11KeyInfo | undefined> {
    return this.withSession((session) => {
      const handle = this.find(session, label);
      if (!handle) return undefined;
      const [keyType, valueLen, encrypt, decrypt] = this.module.C_GetAttributeValue(session, handle, [
        { type: pkcs11js.CKA_KEY_TYPE },
        { type: pkcs11js.CKA_VALUE_LEN },
        { type: pkcs11js.CKA_ENCRYPT },
        { type: pkcs11js.CKA_DECRYPT },
      ]);
      return {
        label,
        aes256: ulong(keyType.value) === pkcs11js.CKK_AES && ulong(valueLen.value) === AES_256_BYTES,
        canEncrypt: bool(encrypt.value),
        canDecrypt: bool(decrypt.value),
      };
    });
  }

  /** Labels of the token's secret keys, sorted. */
  async listKeys(): Promise<string[]> {
    return this.withSession((session) => {
      const labels = this.findAll(session, [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY }]).map((h) =>
        String(this.module.C_GetAttributeValue(session, h, [{ type: pkcs11js.CKA_LABEL }])[0].value ?? ''),
      );
      return labels.filter((l) => l !== '').sort();
    });
  }

  async destroyKey(label: string): Promise<void> {
    await this.withSession((session) => {
      const handle = this.find(session, label);
      if (!handle) throw new Pkcs11KeyNotFoundError(label);
      this.module.C_DestroyObject(session, handle);
      this.handles.delete(label);
    });
  }

  /** AES-GCM under the key labelled `label`, with a fresh random 12-byte IV. */
  async encrypt(label: string, plaintext: Buffer, aad: Buffer): Promise<GcmSealed> {
    const iv = randomBytes(IV_BYTES);
    const out = await this.withSession((session) => {
      const key = this.requireKey(session, label);
      this.module.C_EncryptInit(session, gcm(iv, aad), key);
      return call((cb) => this.module.C_Encrypt(session, plaintext, Buffer.alloc(plaintext.length + TAG_BYTES), cb));
    });
    // Cryptoki returns the tag appended to the ciphertext.
    return { iv, ciphertext: out.subarray(0, out.length - TAG_BYTES), tag: out.subarray(out.length - TAG_BYTES) };
  }

  /** Reverses `encrypt`; Pkcs11DecryptionFailedError when the tag does not verify. */
  async decrypt(label: string, sealed: GcmSealed, aad: Buffer): Promise<Buffer> {
    return this.withSession(async (session) => {
      const key = this.requireKey(session, label);
      this.module.C_DecryptInit(session, gcm(sealed.iv, aad), key);
      try {
        const input = Buffer.concat([sealed.ciphertext, sealed.tag]);
        return await call((cb) => this.module.C_Decrypt(session, input, Buffer.alloc(input.length), cb));
      } catch {
        // Tokens differ in the code for a bad tag (CKR_ENCRYPTED_DATA_INVALID; SoftHSM2 says
        // CKR_GENERAL_ERROR): once the operation was set up, any failure means the input.
        throw new Pkcs11DecryptionFailedError();
      }
    });
  }

  /**
   * Deep health: the token answers and can encrypt and decrypt, proved with a session-only
   * test key rather than a customer key (xks-proxy.md §4.4 asks for that).
   */
  async health(): Promise<Pkcs11TokenHealth> {
    const info = this.call(() => this.module.C_GetTokenInfo(this.slot));
    const probe = randomBytes(16);
    const iv = randomBytes(IV_BYTES);
    const back = await this.withSession(async (session) => {
      this.healthKey ??= this.module.C_GenerateKey(this.loginSession, { mechanism: pkcs11js.CKM_AES_KEY_GEN }, [
        ...aesKeyTemplate(AES_256_BYTES),
        { type: pkcs11js.CKA_TOKEN, value: false },
      ]);
      this.module.C_EncryptInit(session, gcm(iv, Buffer.alloc(0)), this.healthKey);
      const sealed = await call((cb) => this.module.C_Encrypt(session, probe, Buffer.alloc(probe.length + TAG_BYTES), cb));
      this.module.C_DecryptInit(session, gcm(iv, Buffer.alloc(0)), this.healthKey);
      return call((cb) => this.module.C_Decrypt(session, sealed, Buffer.alloc(sealed.length), cb));
    });
    if (!back.equals(probe)) throw new Pkcs11OperationError('the token failed its encrypt/decrypt self-test');
    return { tokenLabel: trimmed(info.label), manufacturer: trimmed(info.manufacturerID), model: trimmed(info.model) };
  }

  /** Closes every session and releases the module; the token object is unusable afterwards. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.idle.splice(0)) this.closeQuietly(session);
    this.closeQuietly(this.loginSession);
    releaseModule(this.options.modulePath);
  }

  private async withSession<T>(work: (session: Session) => T | Promise<T>): Promise<T> {
    if (this.closed) throw new Pkcs11UnavailableError('the token was closed');
    const session =
      this.idle.pop() ?? this.call(() => this.module.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION));
    let healthy = false;
    try {
      const result = await work(session);
      healthy = true;
      return result;
    } catch (err) {
      throw asOwnError(err);
    } finally {
      if (healthy && !this.closed && this.idle.length < this.maxIdle) this.idle.push(session);
      else this.closeQuietly(session);
    }
  }

  private requireKey(session: Session, label: string): pkcs11js.Handle {
    const handle = this.find(session, label);
    if (!handle) throw new Pkcs11KeyNotFoundError(label);
    return handle;
  }

  /**
   * The handle of the secret key labelled `label`. A cached handle is checked first (another
   * process may have destroyed the key, and handles may be reused), then the token searched.
   */
  private find(session: Session, label: string): pkcs11js.Handle | undefined {
    const cached = this.handles.get(label);
    if (cached) {
      try {
        const [attr] = this.module.C_GetAttributeValue(session, cached, [{ type: pkcs11js.CKA_LABEL }]);
        if (String(attr.value) === label) return cached;
      } catch {
        // Stale handle: search again below.
      }
      this.handles.delete(label);
    }
    const [handle] = this.findAll(session, [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    if (handle) this.handles.set(label, handle);
    return handle;
  }

  private findAll(session: Session, template: pkcs11js.Template): pkcs11js.Handle[] {
    this.module.C_FindObjectsInit(session, template);
    try {
      const found: pkcs11js.Handle[] = [];
      for (;;) {
        const batch = this.module.C_FindObjects(session, 64);
        found.push(...batch);
        if (batch.length < 64) return found;
      }
    } finally {
      this.module.C_FindObjectsFinal(session);
    }
  }

  private call<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw asOwnError(err);
    }
  }

  private closeQuietly(session: Session): void {
    try {
      this.module.C_CloseSession(session);
    } catch {
      // Already closed (token removed, module finalized): nothing left to release.
    }
  }
}

/** A sensitive, non-extractable AES key for encrypt/decrypt only (no wrap, sign or derive). */
function aesKeyTemplate(bytes: number): pkcs11js.Template {
  return [
    { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_SECRET_KEY },
    { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_AES },
    { type: pkcs11js.CKA_VALUE_LEN, value: bytes },
    { type: pkcs11js.CKA_PRIVATE, value: true },
    { type: pkcs11js.CKA_SENSITIVE, value: true },
    { type: pkcs11js.CKA_EXTRACTABLE, value: false },
    { type: pkcs11js.CKA_ENCRYPT, value: true },
    { type: pkcs11js.CKA_DECRYPT, value: true },
    { type: pkcs11js.CKA_WRAP, value: false },
    { type: pkcs11js.CKA_UNWRAP, value: false },
  ];
}

function gcm(iv: Buffer, aad: Buffer): pkcs11js.Mechanism {
  const parameter: pkcs11js.GcmParams = { type: pkcs11js.CK_PARAMS_AES_GCM, iv, ivBits: iv.length * 8, aad, tagBits: TAG_BYTES * 8 };
  return { mechanism: pkcs11js.CKM_AES_GCM, parameter };
}

/** A pkcs11js async call as a promise. */
function call(start: (cb: (error: Error | null, data: Buffer) => void) => void): Promise<Buffer> {
  return new Promise((resolve, reject) => start((error, data) => (error ? reject(error) : resolve(data))));
}

function asOwnError(err: unknown): Error {
  if (
    err instanceof Pkcs11KeyNotFoundError ||
    err instanceof Pkcs11KeyExistsError ||
    err instanceof Pkcs11DecryptionFailedError ||
    err instanceof Pkcs11UnavailableError ||
    err instanceof Pkcs11OperationError ||
    err instanceof Pkcs11KeyUsageError
  ) {
    return err;
  }
  const reason = cryptokiReason(err);
  if (/^CKR_(KEY_FUNCTION_NOT_PERMITTED|KEY_TYPE_INCONSISTENT)$/.test(reason)) {
    return new Pkcs11KeyUsageError(`the key does not allow this operation: ${reason}`);
  }
  if (
    /^CKR_(TOKEN_NOT_PRESENT|DEVICE_REMOVED|DEVICE_ERROR|SESSION_HANDLE_INVALID|USER_NOT_LOGGED_IN|CRYPTOKI_NOT_INITIALIZED)$/.test(reason)
  ) {
    return new Pkcs11UnavailableError(`the token is unavailable: ${reason}`);
  }
  return new Pkcs11OperationError(`PKCS#11 call failed: ${reason}`);
}

/** CK_ULONG attribute values come back as native-endian bytes (little-endian on x86/arm). */
function ulong(value: unknown): number {
  return Buffer.isBuffer(value) && value.length >= 4 ? value.readUInt32LE(0) : -1;
}

function bool(value: unknown): boolean {
  return Buffer.isBuffer(value) && value.length > 0 && value[0] === 1;
}

function trimmed(padded: string): string {
  return padded.replace(/[\s\0]+$/, '');
}
