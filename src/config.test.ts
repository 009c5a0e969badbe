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
