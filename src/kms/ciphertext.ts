/**
 * kmsd's symmetric ciphertext blob, version 1 (documented in docs/ciphertext-format.md):
 *
 *   offset  size  field
 *   0       1     magic 0x6b ('k')
 *   1       1     format version 0x01
 *   2       36    KMS key id (ASCII; a UUID, or mrk- and 32 hex digits)
 *   38      32    key material id (raw bytes of the 64-hex KeyMaterialId)
 *   70      ...   body, sealed by the key's backend (see keystores/)
 *
 * The 70-byte header and the canonical encryption context together form the AAD, so any
 * change to the header, the body or the context fails authentication. Decrypt reads the key
 * and material version from the header: no trial decryption.
 */
import { InvalidCiphertextException } from '../generated/kms.js';

const MAGIC = 0x6b;
const VERSION = 1;
export const HEADER_LENGTH = 70;
const KEY_ID_RE = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;

export interface CiphertextHeader {
  keyId: string;
  materialId: string;
  /** The raw header bytes, part of the AAD. */
  bytes: Buffer;
}

export function buildHeader(keyId: string, materialId: string): Buffer {
  // From Node's pool rather than a zeroed buffer of its own (one per Encrypt); zeroed all the
  // same, so a short id could never leave pool bytes in a ciphertext.
  const header = Buffer.allocUnsafe(HEADER_LENGTH).fill(0);
  header[0] = MAGIC;
  header[1] = VERSION;
  header.write(keyId, 2, 36, 'ascii');
  header.write(materialId, 38, 32, 'hex');
  return header;
}

export function parseCiphertext(blob: Buffer): { header: CiphertextHeader; body: Buffer } {
  if (blob.length <= HEADER_LENGTH || blob[0] !== MAGIC || blob[1] !== VERSION) throw invalidCiphertext();
  const keyId = blob.toString('ascii', 2, 38);
  if (!KEY_ID_RE.test(keyId)) throw invalidCiphertext();
  const bytes = blob.subarray(0, HEADER_LENGTH);
  return { header: { keyId, materialId: blob.toString('hex', 38, 70), bytes }, body: blob.subarray(HEADER_LENGTH) };
}

export function invalidCiphertext(): InvalidCiphertextException {
  // AWS does not say which check failed (format, tampering or context): it sends this
  // exception with no message at all (recorded responses); so does kmsd.
  return new InvalidCiphertextException('');
}
