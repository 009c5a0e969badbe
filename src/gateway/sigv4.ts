/**
 * SigV4 verification of every request.
 *
 * The canonical request and the string to sign come from @smithy/signature-v4 (the signer
 * the AWS SDK for JavaScript itself uses), over exactly the headers the client listed in
 * `SignedHeaders` (the AWS CLI and the SDK sign different header sets); the signing key comes
 * from the same library's cached derivation. kmsd adds the checks AWS makes before that
 * (scope, date, skew, known key) and the constant-time comparison.
 *
 * The body hash is always computed here: a client-sent `x-amz-content-sha256` is only
 * accepted when it is the true hash. Signatures are compared in constant time.
 * Error names, statuses and texts follow what AWS returns for the same faults.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { ALGORITHM_IDENTIFIER, SignatureV4Base, createScope, getCanonicalHeaders, getSigningKey } from '@smithy/signature-v4';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { ServiceError } from '../core/service-error.js';
import { accountPrincipal } from '../auth/principal.js';
import type { Principal } from '../auth/principal.js';
import type { CredentialLookup } from '../auth/identities.js';
import { isKnownRegion } from '../core/regions.js';

export interface AccountCredential {
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface CallerIdentity {
  accountId: string;
  accessKeyId: string;
  region: string;
  principal: Principal;
}

/** What screen() found in a request's headers, for verify() to go on with. */
export interface ScreenedHeaders {
  authorization: string;
  auth: ParsedAuthorization;
  amzDateHeader: string;
  signingDate: Date;
  credential: Exclude<CredentialLookup, 'unknown' | 'expired'>;
}

/** Where the verifier finds a key's secret and principal (src/auth/identities.ts in kmsd). */
export interface CredentialSource {
  resolve(accessKeyId: string, sessionToken: string | undefined, now: Date): CredentialLookup;
}

export interface SignedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const MAX_SKEW_MS = 5 * 60 * 1000;
const MAX_CACHED_SIGNING_KEYS = 10_000;
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
export class ExpiredTokenException extends ServiceError {
  constructor() {
    super('ExpiredTokenException', 'The security token included in the request is expired', 400);
  }
}

/**
 * Headers a client must sign when it sends them: all `x-amz-*` (the operation, the date, the
 * session token, the payload hash) and the content type. Unsigned, they could be changed in
 * transit without breaking the signature: the same signed body re-sent with another
 * X-Amz-Target would run another operation (issue 14).
 */
function mustBeSigned(name: string): boolean {
  return name.startsWith('x-amz-') || name === 'content-type';
}

/** `x-amz-target` -> `X-Amz-Target`, as AWS names headers in its messages. */
function displayName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
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
  // Date.UTC rolls month 13 or hour 25 over (and reads years 0-99 as 1900-1999): only a real
  // instant gives every field back. Compared as numbers, not by formatting the date again:
  // this runs on every request.
  const real =
    date.getUTCFullYear() === +m[1] &&
    date.getUTCMonth() === +m[2] - 1 &&
    date.getUTCDate() === +m[3] &&
    date.getUTCHours() === +m[4] &&
    date.getUTCMinutes() === +m[5] &&
    date.getUTCSeconds() === +m[6];
  return real ? date : undefined;
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

const sha256 = Hash.bind(null, 'sha256');

/**
 * The SDK's own signer (@smithy/signature-v4) builds the canonical request (path, query and
 * header canonicalization) and the string to sign; verification only adds the policy checks
 * above and the constant-time comparison. Its protected builders are reached by subclassing.
 */
class CanonicalForm extends SignatureV4Base {
  constructor() {
    super({
      credentials: { accessKeyId: '', secretAccessKey: '' },
      region: '',
      service: '',
      sha256,
      uriEscapePath: true,
      applyChecksum: false,
    });
  }

  stringToSign(request: HttpRequest, signedHeaders: Set<string>, payloadHash: string, longDate: string, scope: string): Promise<string> {
    const canonicalHeaders = getCanonicalHeaders(request, undefined, signedHeaders);
    return this.createStringToSign(
      longDate,
      scope,
      this.createCanonicalRequest(request, canonicalHeaders, payloadHash),
      ALGORITHM_IDENTIFIER,
    );
  }
}

/** Root credentials only: each key acts as its account's root user. */
function rootCredentials(credentials: AccountCredential[]): CredentialSource {
  const byKey = new Map(credentials.map((c) => [c.accessKeyId, { ...c, principal: accountPrincipal(c.accountId) }]));
  return { resolve: (id, token) => (token === undefined ? byKey.get(id) : undefined) ?? 'unknown' };
}

export class SigV4Verifier {
  private readonly canonicalForm = new CanonicalForm();
  private readonly credentials: CredentialSource;
  private readonly signingKeys = new Map<string, { secret: string; key: Uint8Array }>();

  constructor(credentials: CredentialSource | AccountCredential[]) {
    this.credentials = Array.isArray(credentials) ? rootCredentials(credentials) : credentials;
  }

  /**
   * The checks that need only the headers: an Authorization header that parses, a date, the
   * signed-header rules and a known, unexpired access key. The gateway runs them before it
   * reads a body, so an anonymous client cannot make kmsd buffer a megabyte; verify() runs
   * them again, in the same order, so either way a request gets the same error.
   */
  screen(headers: SignedRequest['headers'], now: Date): ScreenedHeaders {
    return this.checkHeaders(headers, now);
  }

  /**
   * Verifies the request was signed for `service` by a known access key and returns who
   * signed it and for which region. Throws the AWS error for each kind of fault.
   */
  async verify(req: SignedRequest, service: string, now: Date, screened?: ScreenedHeaders): Promise<CallerIdentity> {
    // The gateway screened these very headers a moment ago: no second parse and lookup.
    const { auth, amzDateHeader, signingDate, credential } = screened ?? this.checkHeaders(req.headers, now);

    if (auth.service !== service) {
      throw new InvalidSignatureException(`Credential should be scoped to correct service: '${service}'. `);
    }
    // An unknown Region would be a fresh set of per-Region quotas (core/regions.ts).
    if (!isKnownRegion(auth.region)) throw new InvalidSignatureException('Credential should be scoped to a valid region. ');
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

    const signedHeaders = new Set(auth.signedHeaders);
    const headers: Record<string, string> = {};
    for (const name of signedHeaders) {
      // Only real header names: `__proto__` or `constructor` must not reach object lookups.
      const v = HEADER_NAME.test(name) && Object.hasOwn(req.headers, name) ? headerValue(req.headers[name]) : undefined;
      if (v === undefined) throw new InvalidSignatureException(SIGNATURE_MISMATCH);
      headers[name] = v;
    }
    const query: Record<string, string | string[]> = {};
    // API calls have no query string: no URLSearchParams for them.
    for (const [k, v] of req.query === '' ? [] : new URLSearchParams(req.query)) {
      const prev = Object.hasOwn(query, k) ? query[k] : undefined;
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const request = new HttpRequest({
      method: req.method,
      protocol: 'http:',
      hostname: headers.host ?? '',
      path: req.path,
      query,
      headers,
    });
    const payloadHash = createHash('sha256').update(req.body).digest('hex');
    const scope = createScope(auth.date, auth.region, service);
    const stringToSign = await this.canonicalForm.stringToSign(request, signedHeaders, payloadHash, amzDateHeader, scope);
    const signingKey = await this.signingKey(credential, auth.date, auth.region, service);
    const expected = createHmac('sha256', signingKey).update(stringToSign).digest();
    const given = /^[0-9a-f]{64}$/.test(auth.signature) ? Buffer.from(auth.signature, 'hex') : Buffer.alloc(0);
    if (given.length !== expected.length || !timingSafeEqual(expected, given)) throw new InvalidSignatureException(SIGNATURE_MISMATCH);

    return {
      accountId: credential.principal.accountId,
      accessKeyId: credential.accessKeyId,
      region: auth.region,
      principal: credential.principal,
    };
  }

  /**
   * The SigV4 signing key of an access key for one day, Region and service. Derived once and
   * kept: four HMACs per request otherwise. Keyed by the secret too, so a changed secret
   * derives anew; the cache empties itself when it grows large (many keys, or many days).
   */
  private async signingKey(credential: { accessKeyId: string; secretAccessKey: string }, date: string, region: string, service: string) {
    const id = `${credential.accessKeyId}/${date}/${region}/${service}`;
    const cached = this.signingKeys.get(id);
    if (cached && cached.secret === credential.secretAccessKey) return cached.key;
    const key = await getSigningKey(sha256, credential, date, region, service);
    if (this.signingKeys.size >= MAX_CACHED_SIGNING_KEYS) this.signingKeys.clear();
    this.signingKeys.set(id, { secret: credential.secretAccessKey, key });
    return key;
  }

  /** screen()'s checks, in AWS's order; returns what verify() goes on with. */
  private checkHeaders(headers: SignedRequest['headers'], now: Date): ScreenedHeaders {
    const authorization = headerValue(headers['authorization']);
    if (!authorization) throw new MissingAuthenticationTokenException();
    const auth = parseAuthorization(authorization);

    const amzDateHeader = headerValue(headers['x-amz-date']);
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
    // In name order, so the header named is the same whatever order the client sent them in.
    const unsigned = Object.keys(headers)
      .filter((name) => mustBeSigned(name) && !auth.signedHeaders.includes(name))
      .sort();
    if (unsigned.length > 0) {
      throw new InvalidSignatureException(`'${displayName(unsigned[0])}' must be a 'SignedHeader' in the AWS Authorization.`);
    }

    // A session token binds to the temporary key it was issued with; long-term keys take none.
    const credential = this.credentials.resolve(auth.accessKeyId, headerValue(headers['x-amz-security-token']), now);
    if (credential === 'unknown') throw new UnrecognizedClientException();
    if (credential === 'expired') throw new ExpiredTokenException();
    return { authorization, auth, amzDateHeader, signingDate, credential };
  }
}
