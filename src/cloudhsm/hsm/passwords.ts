/**
 * HSM user names and passwords. Passwords are kept only as slow salted scrypt hashes with
 * their cost parameters recorded beside them, so the parameters can be raised later without
 * invalidating the hashes already stored.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { BinaryLike, ScryptOptions } from 'node:crypto';

export interface PasswordHash {
  alg: 'scrypt';
  N: number;
  r: number;
  p: number;
  /** base64 */
  salt: string;
  /** base64 */
  hash: string;
}

/**
 * N=2^17, r=8, p=1: the OWASP password-storage minimum for scrypt (128 MiB per hash). The
 * async crypto.scrypt runs on libuv's thread pool, so a login never blocks the event loop.
 * Hashes made with lower parameters (kmsd used N=2^14 before) still verify and are
 * re-hashed at these parameters on the next successful login (see needsRehash).
 */
export const COST: PasswordCost = { N: 2 ** 17, r: 8, p: 1 };

export interface PasswordCost {
  N: number;
  r: number;
  p: number;
}

/**
 * The lowest cost an operator may choose (`kmsd serve --hsm-password-cost 14`): kmsd's cost
 * before it followed OWASP. Below the default it is meant for test suites, where thousands of
 * logins at 128 MiB each dominate the run time; kmsd warns at start.
 */
export const MIN_COST_LOG2 = 14;
export const MAX_COST_LOG2 = 20;

/** The scrypt cost for N = 2^log2N (r=8, p=1), or undefined outside MIN_COST_LOG2..MAX_COST_LOG2. */
export function passwordCost(log2N: number): PasswordCost | undefined {
  if (!Number.isInteger(log2N) || log2N < MIN_COST_LOG2 || log2N > MAX_COST_LOG2) return undefined;
  return { N: 2 ** log2N, r: COST.r, p: COST.p };
}
const KEY_LENGTH = 32;

/** scrypt needs 128·N·r bytes; Node refuses above maxmem (32 MiB by default). */
const maxmem = (c: { N: number; r: number; p: number }): number => 128 * c.N * c.r * c.p + 16 * 1024 * 1024;

function scryptAsync(password: BinaryLike, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, cost: PasswordCost = COST): Promise<PasswordHash> {
  const salt = randomBytes(16);
  const hash = await scryptAsync(password, salt, KEY_LENGTH, { ...cost, maxmem: maxmem(cost) });
  return { alg: 'scrypt', N: cost.N, r: cost.r, p: cost.p, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

export async function verifyPassword(password: string, stored: PasswordHash): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'base64');
  const actual = await scryptAsync(password, Buffer.from(stored.salt, 'base64'), expected.length, {
    N: stored.N,
    r: stored.r,
    p: stored.p,
    maxmem: maxmem(stored),
  });
  const same = timingSafeEqual(actual, expected);
  actual.fill(0);
  return same;
}

/** A hash made with weaker parameters than `cost`: replace it once the password is known. */
export function needsRehash(stored: PasswordHash, cost: PasswordCost = COST): boolean {
  return stored.N < cost.N || stored.r < cost.r || stored.p < cost.p;
}

/**
 * CloudHSM limits: user names at most 31 characters; the CloudHSM CLI accepts letters, digits
 * and underscores and treats names case-insensitively (it shows them in lower case).
 */
export const USERNAME_PATTERN = '[a-zA-Z0-9_]{1,31}';
const USERNAME_RE = new RegExp(`^${USERNAME_PATTERN}$`);

/** Returns the canonical (lower-case) name, or undefined when the name is not allowed. */
export function canonicalUsername(username: string): string | undefined {
  return USERNAME_RE.test(username) ? username.toLowerCase() : undefined;
}

export const PASSWORD_MIN = 7;
export const PASSWORD_MAX = 32;

/** CloudHSM passwords are 7–32 characters, case-sensitive. */
export function passwordProblem(password: string): string | undefined {
  // Counted in UTF-16 code units, as the gateway's model length check counts them.
  if (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX) {
    return `Passwords must be ${PASSWORD_MIN} to ${PASSWORD_MAX} characters long.`;
  }
  return undefined;
}
