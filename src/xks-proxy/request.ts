/**
 * Reading the JSON members of an XKS request (xks-proxy.md §3, §4): each fault is a
 * ValidationException naming the member. Unknown members are ignored, as the spec asks
 * (AWS may add fields).
 */
import { XksError } from './errors.js';

export type JsonObject = Record<string, unknown>;

/** Who asked, for the log line: every API carries requestMetadata with these two. */
export interface RequestMetadata {
  kmsRequestId: string;
  kmsOperation: string;
  awsPrincipalArn?: string;
  kmsKeyArn?: string;
}

export function requestMetadata(body: JsonObject, required: ('awsPrincipalArn' | 'kmsKeyArn')[]): RequestMetadata {
  const meta = body.requestMetadata;
  if (typeof meta !== 'object' || meta === null || Array.isArray(meta)) throw invalid('requestMetadata is required');
  const m = meta as JsonObject;
  for (const name of ['kmsRequestId', 'kmsOperation', ...required]) {
    if (typeof m[name] !== 'string' || m[name] === '') throw invalid(`requestMetadata.${name} is required`);
  }
  return {
    kmsRequestId: String(m.kmsRequestId),
    kmsOperation: String(m.kmsOperation),
    awsPrincipalArn: typeof m.awsPrincipalArn === 'string' ? m.awsPrincipalArn : undefined,
    kmsKeyArn: typeof m.kmsKeyArn === 'string' ? m.kmsKeyArn : undefined,
  };
}

/** A standard, padded base64 member (RFC 4648 §4, as §1 requires). */
export function base64Member(body: JsonObject, name: string, required: true): Buffer;
export function base64Member(body: JsonObject, name: string, required: false): Buffer | undefined;
export function base64Member(body: JsonObject, name: string, required: boolean): Buffer | undefined {
  const value = body[name];
  if (value === undefined || value === null) {
    if (required) throw invalid(`${name} is required`);
    return undefined;
  }
  if (typeof value !== 'string' || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    throw invalid(`${name} must be standard base64`);
  }
  return Buffer.from(value, 'base64');
}

/** encryptionAlgorithm: AES_GCM is the only value of API v1 (§4.2). */
export function requireAesGcm(body: JsonObject): void {
  if (body.encryptionAlgorithm !== 'AES_GCM') throw invalid('encryptionAlgorithm must be AES_GCM');
}

export function invalid(message: string): XksError {
  return new XksError('ValidationException', message);
}

/**
 * The AES-GCM AAD of §4.2: uint16_be(len(aad)) ‖ aad ‖ uint8(len(ctm)) ‖ ctm, so that the
 * ciphertext metadata is authenticated too (this proxy sends none, but checks what it gets).
 */
export function gcmAad(aad: Buffer, ciphertextMetadata: Buffer): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(aad.length);
  return Buffer.concat([head, aad, Buffer.from([ciphertextMetadata.length]), ciphertextMetadata]);
}
