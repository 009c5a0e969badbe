/**
 * SigV4 verification of every request.
 *
 * The canonical request is rebuilt here from exactly the headers the client listed in
 * `SignedHeaders` (the AWS CLI and the SDK sign different header sets), following the
 * algorithm as @smithy/signature-v4 (the SDK's own signer) implements it: the unit tests
 * sign with that library and verify with this code. Doing it directly, with the derived
 * signing key cached per (access key, date, region, service), is several times cheaper than
 * re-signing a request object per call, and verification is on every request's path.
 *
 * The body hash is always computed here: a client-sent `x-amz-content-sha256` is only
 * accepted when it is the true hash. Signatures are compared in constant time.
 * Error names, statuses and texts follow what AWS returns for the same faults.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ServiceError } from '../core/service-error.js';

export interface AccountCredential {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CallerIdentity {
  accountId: string;
  accessKeyId: string;
  region: string;
}

export interface SignedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const MAX_SKEW_MS = 5 * 60 * 1000;
const MAX_CACHED_KEYS = 1000;
const HEADER_NAME = /^[a-z0-9-]+$/;
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. ' +
  'Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

export class MissingAuthenticationTokenException extends ServiceError {
  constructor() {
    super('MissingAuthenticationTokenException', 'Request is missing Authentication Token', 400);
  }
}
export class IncompleteSignatureException extends ServiceError {
  constructor(message: string) {
    super('IncompleteSignatureException', message, 400);
  }
}
export class InvalidSignatureException extends ServiceError {
  constructor(message: string) {
    super('InvalidSignatureException', message, 400);
  }
}
export class UnrecognizedClientException extends ServiceError {
  constructor() {
    super('UnrecognizedClientException', 'The security token included in the request is invalid.', 400);
  }
}

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/**
 * Splits `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`. The texts are
 * Coral's: each missing component is named, then the header is echoed
 * (`Authorization=<header>`), and an unknown algorithm is named as such.
 */
function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  const space = trimmed.search(/\s/);
  const algorithm = space < 0 ? trimmed : trimmed.slice(0, space);
  if (algorithm !== 'AWS4-HMAC-SHA256') {
    throw new IncompleteSignatureException(`Unsupported AWS 'algorithm': '${algorithm}'.`);
  }
  const parts: Record<string, string> = {};
  for (const piece of trimmed.slice(space < 0 ? trimmed.length : space).split(',')) {
    const eq = piece.indexOf('=');
    if (eq > 0) parts[piece.slice(0, eq).trim()] = piece.slice(eq + 1).trim();
  }
  const missing = ['Credential', 'Signature', 'SignedHeaders'].filter((k) => !parts[k]);
  if (missing.length > 0) {
    throw new IncompleteSignatureException(
      missing.map((k) => `Authorization header requires '${k}' parameter.`).join(' ') + ` Authorization=${trimmed}`,
    );
  }
  const scope = parts.Credential.split('/');
  if (scope.length !== 5 || scope.some((p) => p === '') || scope[4] !== 'aws4_request') {
    throw new IncompleteSignatureException(
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${parts.Credential}'`,
    );
  }
  return {
    accessKeyId: scope[0],
    date: scope[1],
    region: scope[2],
    service: scope[3],
    signedHeaders: parts.SignedHeaders.split(';').map((h) => h.toLowerCase()),
    signature: parts.Signature,
  };
}

/** `20261128T163814Z` -> Date */
function parseAmzDate(value: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const date = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
  // Date.UTC rolls month 13 or hour 25 over: only a real instant round-trips.
  return formatAmzDate(date) === value ? date : undefined;
}

function formatAmzDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function headerValue(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h.join(',') : h;
}

export class SigV4Verifier {
  private readonly signingKeys = new Map<string, Buffer>();
  private readonly byAccessKey: Map<string, AccountCredential>;

  constructor(credentials: AccountCredential[]) {
    this.byAccessKey = new Map(credentials.map((c) => [c.accessKeyId, c]));
  }

  /**
   * Verifies the request was signed for `service` by a known access key and returns who
   * signed it and for which region. Throws the AWS error for each kind of fault.
   */
  async verify(req: SignedRequest, service: string, now: Date): Promise<CallerIdentity> {
    const authorization = headerValue(req.headers['authorization']);
    if (!authorization) throw new MissingAuthenticationTokenException();
    const auth = parseAuthorization(authorization);

    const amzDateHeader = headerValue(req.headers['x-amz-date']);
    if (!amzDateHeader) {
      throw new IncompleteSignatureException(
        `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${authorization.trim()}`,
      );
    }
    const signingDate = parseAmzDate(amzDateHeader);
    if (!signingDate) {
      throw new IncompleteSignatureException(
        `Date must be in ISO-8601 'basic format'. Got '${amzDateHeader}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      );
    }
    if (!auth.signedHeaders.includes('host')) {
      throw new InvalidSignatureException("'Host' must be a 'SignedHeader' in the AWS Authorization.");
    }

    const credential = this.byAccessKey.get(auth.accessKeyId);
    if (!credential) throw new UnrecognizedClientException();
    // kmsd has no STS: a session token cannot belong to any of its long-term keys.
    if (req.headers['x-amz-security-token'] !== undefined) throw new UnrecognizedClientException();

    if (auth.service !== service) {
      throw new InvalidSignatureException(`Credential should be scoped to correct service: '${service}'. `);
    }
    if (auth.date !== amzDateHeader?.slice(0, 8)) {
      throw new InvalidSignatureException(
        `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.date}' != '${amzDateHeader?.slice(0, 8)}', from '${amzDateHeader}'.`,
      );
    }
    const skew = signingDate.getTime() - now.getTime();
    if (skew < -MAX_SKEW_MS) {
      throw new InvalidSignatureException(
        `Signature expired: ${amzDateHeader} is now earlier than ${formatAmzDate(new Date(now.getTime() - MAX_SKEW_MS))} (${formatAmzDate(now)} - 5 min.)`,
      );
    }
    if (skew > MAX_SKEW_MS) {
      throw new InvalidSignatureException(
        `Signature not yet current: ${amzDateHeader} is still later than ${formatAmzDate(new Date(now.getTime() + MAX_SKEW_MS))} (${formatAmzDate(now)} + 5 min.)`,
      );
    }

    // The payload hash is ours to compute; a client-claimed hash must equal it.
    const claimedHash = headerValue(req.headers['x-amz-content-sha256']);
    if (claimedHash !== undefined) {
      const actual = createHash('sha256').update(req.body).digest('hex');
      if (claimedHash !== actual) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
    }

    const signedHeaders = [...new Set(auth.signedHeaders)].sort();
    const canonicalHeaders: string[] = [];
    for (const name of signedHeaders) {
      // Only real header names: `__proto__` or `constructor` must not reach object lookups.
      const v = HEADER_NAME.test(name) && Object.hasOwn(req.headers, name) ? headerValue(req.headers[name]) : undefined;
      if (v === undefined) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
      canonicalHeaders.push(`${name}:${v.trim().replace(/\s+/g, ' ')}`);
    }
    const canonicalRequest = [
      req.method,
      canonicalPath(req.path),
      canonicalQuery(req.query),
      canonicalHeaders.join('\n'),
      '',
      signedHeaders.join(';'),
      createHash('sha256').update(req.body).digest('hex'),
    ].join('\n');
    const scope = `${auth.date}/${auth.region}/${service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDateHeader}\n${scope}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
    const expected = createHmac('sha256', this.signingKey(credential, auth.date, auth.region, service))
      .update(stringToSign)
      .digest();
    const given = /^[0-9a-f]{64}$/.test(auth.signature) ? Buffer.from(auth.signature, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(expected, given)) throw new InvalidSignatureException(SIGNATURE_MISMATCH);

    return { accountId: credential.accountId, accessKeyId: credential.accessKeyId, region: auth.region };
  }

  /** kSigning = HMAC chain over date, region, service and "aws4_request", cached. */
  private signingKey(credential: AccountCredential, date: string, region: string, service: string): Buffer {
    const id = `${credential.accessKeyId}\n${date}\n${region}\n${service}`;
    let key = this.signingKeys.get(id);
    if (!key) {
      // The region comes from the request before the signature is checked: bound the cache
      // so requests naming endless made-up regions cannot grow it without limit.
      if (this.signingKeys.size >= MAX_CACHED_KEYS) this.signingKeys.clear();
      const hmac = (k: string | Buffer, data: string) => createHmac('sha256', k).update(data).digest();
      key = hmac(hmac(hmac(hmac(`AWS4${credential.secretAccessKey}`, date), region), service), 'aws4_request');
      this.signingKeys.set(id, key);
    }
    return key;
  }
}

/** RFC 3986 percent-encoding, as SigV4 requires (encodeURIComponent leaves !'()* alone). */
function escapeUri(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The path as received (encoded once), normalized and encoded again: non-S3 services sign it double-encoded. */
function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && path.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/** Parameters sorted by encoded name, repeated names by encoded pair; X-Amz-Signature left out. */
function canonicalQuery(query: string): string {
  if (query === '') return '';
  const byKey = new Map<string, string[]>();
  for (const [k, v] of new URLSearchParams(query)) {
    if (k.toLowerCase() === 'x-amz-signature') continue;
    const key = escapeUri(k);
    const pairs = byKey.get(key) ?? [];
    pairs.push(`${key}=${escapeUri(v)}`);
    byKey.set(key, pairs);
  }
  return [...byKey.keys()]
    .sort()
    .map((k) => (byKey.get(k) ?? []).sort().join('&'))
    .join('&');
}
