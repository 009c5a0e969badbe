import { describe, expect, it } from 'vitest';
import { publicRandomBytes, secretRandomBytes } from './public-random.js';

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

describe('secretRandomBytes', () => {
  it('hands out each byte once, each secret in memory of its own', () => {
    // 32 bytes (an AES-256 data key); 1,000 of them take several pool draws.
    const secrets = Array.from({ length: 1000 }, () => secretRandomBytes(32));
    expect(secrets.every((s) => s.length === 32)).toBe(true);
    expect(new Set(secrets.map((s) => s.toString('hex'))).size).toBe(secrets.length);
    // Its own ArrayBuffer, of its own size: no neighbour's bytes reachable through .buffer.
    expect(secrets.every((s) => s.byteOffset === 0 && s.buffer.byteLength === 32)).toBe(true);
    expect(new Set(secrets.map((s) => s.buffer)).size).toBe(secrets.length);
  });

  it('serves sizes up to 1,024 bytes (NumberOfBytes) and larger, never all zeros', () => {
    for (const size of [1, 16, 1024, 5000]) {
      const s = secretRandomBytes(size);
      expect(s.length).toBe(size);
      if (size >= 16) expect(s.equals(Buffer.alloc(size))).toBe(false);
    }
  });
});
