import { describe, expect, it } from 'vitest';
import { networkInterfaces } from 'node:os';
import { defaultAllowedHosts, hostAllowList } from './host-check.js';

describe('hostAllowList', () => {
  const allowed = hostAllowList(['localhost', '127.0.0.1', '::1', 'kms.example.com']);

  it('accepts allowed names with or without a port, in any case, IPv6 in brackets', () => {
    for (const host of ['localhost', 'localhost:4599', 'LOCALHOST:1', '127.0.0.1:80', '[::1]:4599', '[::1]', 'kms.example.com.:443']) {
      expect(allowed(host), host).toBe(true);
    }
  });

  it('refuses other names, look-alikes, a missing Host and malformed values', () => {
    for (const host of [
      undefined,
      '',
      'evil.example',
      'localhost.evil.example',
      'evil.localhost',
      '127.0.0.2',
      '[::2]:1',
      'kms.example.com@evil',
    ]) {
      expect(allowed(host), String(host)).toBe(false);
    }
  });

  it('allows everything with *', () => {
    expect(hostAllowList(['*'])('anything.example')).toBe(true);
  });
});

describe('defaultAllowedHosts', () => {
  it('is the bind address plus the loopback names', () => {
    expect(defaultAllowedHosts('10.1.2.3').sort()).toEqual(['10.1.2.3', '127.0.0.1', '::1', 'localhost']);
  });

  it('on a wildcard bind, includes every interface address', () => {
    const hosts = defaultAllowedHosts('0.0.0.0');
    for (const addresses of Object.values(networkInterfaces())) {
      for (const a of addresses ?? []) expect(hosts).toContain(a.address.toLowerCase());
    }
    expect(hosts).toContain('localhost');
  });
});
