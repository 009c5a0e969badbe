/**
 * AWS's documented openssl recipe for wrapping key material for ImportKeyMaterial
 * ("Encrypt key material with OpenSSL", KMS developer guide), run with the real openssl.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { OpensslWorkspace } from './openssl.js';

export type WrappingAlgorithm =
  'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256' | 'SM2PKE';

async function run(ws: OpensslWorkspace, args: string[]): Promise<void> {
  const r = await ws.openssl(args);
  if (r.code !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/** Wraps `material` with the DER public key from GetParametersForImport, as AWS documents. */
export async function wrapForImport(
  ws: OpensslWorkspace,
  publicKeyDer: Uint8Array,
  material: Buffer,
  algorithm: WrappingAlgorithm,
): Promise<Buffer> {
  const md = algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  const wrappingKey = ws.file('WrappingPublicKey.bin');
  writeFileSync(wrappingKey, publicKeyDer);
  const materialFile = ws.file('PlaintextKeyMaterial.bin');
  writeFileSync(materialFile, material);
  const oaep = (input: string, output: string) =>
    run(ws, [
      'pkeyutl',
      '-encrypt',
      '-in',
      input,
      '-out',
      output,
      '-inkey',
      wrappingKey,
      '-keyform',
      'DER',
      '-pubin',
      '-pkeyopt',
      'rsa_padding_mode:oaep',
      '-pkeyopt',
      `rsa_oaep_md:${md}`,
      '-pkeyopt',
      `rsa_mgf1_md:${md}`,
    ]);
  if (algorithm === 'SM2PKE') {
    // OpenSSL reads an SM2-curve public key as an SM2 key and writes GM/T 0009 ASN.1 ciphertext.
    const out = ws.file('EncryptedKeyMaterial.bin');
    await run(ws, ['pkeyutl', '-encrypt', '-in', materialFile, '-out', out, '-inkey', wrappingKey, '-keyform', 'DER', '-pubin']);
    return readFileSync(out);
  }
  if (algorithm.startsWith('RSAES_OAEP')) {
    const out = ws.file('EncryptedKeyMaterial.bin');
    await oaep(materialFile, out);
    return readFileSync(out);
  }
  // RSA_AES_KEY_WRAP: an ephemeral AES-256 key wraps the material (RFC 5649), RSA-OAEP wraps the AES key.
  const aesKey = ws.file('aes-key.bin');
  await run(ws, ['rand', '-out', aesKey, '32']);
  const wrappedMaterial = ws.file('key-material-wrapped.bin');
  const hexKey = readFileSync(aesKey).toString('hex');
  await run(ws, ['enc', '-id-aes256-wrap-pad', '-K', hexKey, '-iv', 'A65959A6', '-in', materialFile, '-out', wrappedMaterial]);
  const wrappedAesKey = ws.file('aes-key-wrapped.bin');
  await oaep(aesKey, wrappedAesKey);
  return Buffer.concat([readFileSync(wrappedAesKey), readFileSync(wrappedMaterial)]);
}

/** A private key made by `openssl genpkey`, as PKCS #8 DER (what AWS asks for) and PEM. */
export async function opensslPrivateKey(ws: OpensslWorkspace, genpkeyArgs: string[]): Promise<{ der: Buffer; pem: string }> {
  const pemFile = ws.file('private.pem');
  await run(ws, ['genpkey', ...genpkeyArgs, '-out', pemFile]);
  const derFile = ws.file('private.der');
  await run(ws, ['pkcs8', '-topk8', '-nocrypt', '-in', pemFile, '-outform', 'DER', '-out', derFile]);
  return { der: readFileSync(derFile), pem: readFileSync(pemFile, 'utf8') };
}
