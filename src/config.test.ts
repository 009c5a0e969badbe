import { describe, expect, it } from 'vitest';
import { checkConfig, defaultConfig } from './config.js';

describe('CloudHSM settings in the configuration file', () => {
  it('accepts subnets mapped to Availability Zones and a transition time', () => {
    const cfg = checkConfig({ ...defaultConfig(), subnets: { 'subnet-0123abcd': 'eu-west-1b' }, cloudhsm: { transitionMs: 0 } });
    expect(cfg.subnets).toEqual({ 'subnet-0123abcd': 'eu-west-1b' });
  });

  it('rejects a malformed subnet id, Availability Zone or transition time', () => {
    expect(() => checkConfig({ ...defaultConfig(), subnets: { 'subnet-xyz': 'us-east-1a' } })).toThrow(
      'config: subnet id "subnet-xyz" is not of the form subnet-<8 to 17 hex digits>',
    );
    expect(() => checkConfig({ ...defaultConfig(), subnets: { 'subnet-0123abcd': 'us-east-1' } })).toThrow(
      'config: subnet subnet-0123abcd: "us-east-1" is not an Availability Zone name',
    );
    expect(() => checkConfig({ ...defaultConfig(), cloudhsm: { transitionMs: -1 } })).toThrow(
      'config: "cloudhsm.transitionMs" must be a non-negative number of milliseconds',
    );
  });
});

describe('quotas in the configuration file', () => {
  it('accepts any subset of the resource and request quotas', () => {
    const quotas = {
      keysPerRegion: 5,
      tagsPerKey: 2,
      requestsPerSecond: { cryptographicRsa: 0.5, cloudHsmKeyStore: 100, operations: { DescribeKey: 10 } },
    };
    expect(checkConfig({ ...defaultConfig(), quotas }).quotas).toEqual(quotas);
  });

  it('rejects unknown quotas, operations, and values that are not positive', () => {
    const bad = (quotas: unknown) => () => checkConfig({ ...defaultConfig(), quotas });
    expect(bad([])).toThrow('config: "quotas" must be an object');
    expect(bad({ keys: 5 })).toThrow('config: "quotas.keys" is not a quota (known: keysPerRegion, aliasesPerKey, grantsPerKey');
    expect(bad({ aliasesPerKey: 0 })).toThrow('config: "quotas.aliasesPerKey" must be a positive integer');
    expect(bad({ grantsPerKey: 2.5 })).toThrow('config: "quotas.grantsPerKey" must be a positive integer');
    expect(bad({ requestsPerSecond: { cryptographicHmac: 5 } })).toThrow(
      'config: "quotas.requestsPerSecond.cryptographicHmac" is not a request quota (known: cryptographicSymmetric, cryptographicRsa, cryptographicEcc, cloudHsmKeyStore, operations)',
    );
    expect(bad({ requestsPerSecond: { cryptographicSymmetric: -1 } })).toThrow(
      'config: "quotas.requestsPerSecond.cryptographicSymmetric" must be a positive number of requests per second',
    );
    expect(bad({ requestsPerSecond: { operations: { DescribeKeys: 5 } } })).toThrow(
      'config: "quotas.requestsPerSecond.operations.DescribeKeys": DescribeKeys is not a KMS operation',
    );
    expect(bad({ requestsPerSecond: { operations: { Encrypt: 5 } } })).toThrow(
      'config: "quotas.requestsPerSecond.operations.Encrypt": Encrypt counts against the cryptographic quota of its key type, not a quota of its own',
    );
  });
});
