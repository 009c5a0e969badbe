import { describe, expect, it } from 'vitest';
import { publicRandomBytes } from './public-random.js';

describe('publicRandomBytes', () => {
  it('hands out each byte once, across several pool refills', () => {
    // 28 bytes (an Encrypt's nonce and IV) does not divide 4096: draws straddle refills.
    const draws = Array.from({ length: 1000 }, () => publicRandomBytes(28));
    const copies = draws.map((d) => Buffer.from(d).toString('hex'));
    expect(draws.every((d) => d.length === 28)).toBe(true);
    expect(new Set(copies).size).toBe(draws.length);
    // A refill must not overwrite what was handed out before it.
    expect(draws.map((d) => d.toString('hex'))).toEqual(copies);
  });

  it('serves a request larger than the pool', () => {
    const big = publicRandomBytes(10_000);
    expect(big.length).toBe(10_000);
    expect(big.equals(Buffer.alloc(10_000))).toBe(false);
  });
});
