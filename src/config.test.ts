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

describe('PKCS#11 tokens in the configuration file', () => {
  const token = { name: 'lab-token', module: '/usr/lib/softhsm/libsofthsm2.so', tokenLabel: 'kmsd', pinFile: '/etc/kmsd/pin' };

  it('accepts tokens named once, with a PIN file or a PIN environment variable', () => {
    const tokens = [token, { ...token, name: 'other', pinFile: undefined, pinEnv: 'KMSD_TOKEN_PIN' }];
    expect(checkConfig({ ...defaultConfig(), pkcs11Tokens: tokens }).pkcs11Tokens).toEqual(tokens);
  });

  it('rejects a bad name, a name used twice, a missing module or label, and not exactly one PIN source', () => {
    const check = (pkcs11Tokens: unknown) => () => checkConfig({ ...defaultConfig(), pkcs11Tokens });
    expect(check({})).toThrow('config: "pkcs11Tokens" must be an array');
    expect(check([{ ...token, name: 'a b' }])).toThrow(`config: "pkcs11Tokens[0]".name must be 1 to 64 letters, digits, '.', '_' or '-'`);
    expect(check([token, token])).toThrow('config: "pkcs11Tokens[1]": the token name lab-token is used twice');
    expect(check([{ ...token, module: '' }])).toThrow('config: "pkcs11Tokens[0]".module must be the path of a PKCS#11 library');
    expect(check([{ ...token, tokenLabel: 3 }])).toThrow(`config: "pkcs11Tokens[0]".tokenLabel must be the token's label`);
    expect(check([{ ...token, pinEnv: 'PIN' }])).toThrow('config: "pkcs11Tokens[0]" needs exactly one of pinFile and pinEnv');
    expect(check([{ ...token, pinFile: undefined }])).toThrow('config: "pkcs11Tokens[0]" needs exactly one of pinFile and pinEnv');
    expect(check([{ ...token, pinFile: undefined, pinEnv: 'NOT-A-NAME' }])).toThrow(
      'config: "pkcs11Tokens[0]".pinEnv must be the name of an environment variable',
    );
  });
});

describe('IAM users and roles in the configuration file', () => {
  const doc = { Version: '2012-10-17', Statement: [] };
  const account = (extra: Record<string, unknown>) => ({
    accounts: [{ accountId: '111122223333', credentials: [{ accessKeyId: 'ROOTKEY', secretAccessKey: 'root-secret' }], ...extra }],
  });

  it('accepts users and roles written with IAM names, policy documents as objects or text', () => {
    const cfg = checkConfig(
      account({
        users: [
          {
            userName: 'alice',
            path: '/engineering/',
            tags: { team: 'blue' },
            accessKeys: [{ accessKeyId: 'AKIAALICE', secretAccessKey: 'alice-secret' }],
            policies: [{ policyName: 'use-keys', policyDocument: doc }],
          },
        ],
        roles: [{ roleName: 'app', assumeRolePolicyDocument: JSON.stringify(doc), maxSessionDuration: 7200, policies: [], tags: {} }],
      }),
    );
    expect(cfg.accounts[0].users?.[0].userName).toBe('alice');
    expect(cfg.accounts[0].roles?.[0].maxSessionDuration).toBe(7200);
  });

  it('refuses an access key used twice anywhere, even across a root key and a user', () => {
    expect(() =>
      checkConfig(account({ users: [{ userName: 'bob', accessKeys: [{ accessKeyId: 'ROOTKEY', secretAccessKey: 'x' }] }] })),
    ).toThrow('config: access key ROOTKEY is listed twice');
  });

  it('refuses bad names, paths, duplicate users, bad documents and durations', () => {
    expect(() => checkConfig(account({ users: [{ userName: 'has space' }] }))).toThrow(
      'config: account 111122223333: userName "has space" must be 1 to 64 characters of letters, digits and +=,.@_-',
    );
    expect(() => checkConfig(account({ users: [{ userName: 'a', path: 'nopath' }] }))).toThrow(
      'config: account 111122223333, user a: path "nopath" must be "/" or begin and end with "/"',
    );
    expect(() => checkConfig(account({ users: [{ userName: 'Alice' }, { userName: 'alice' }] }))).toThrow(
      'config: account 111122223333: user alice is listed twice',
    );
    expect(() => checkConfig(account({ roles: [{ roleName: 'app' }] }))).toThrow(
      'config: account 111122223333, role app: "assumeRolePolicyDocument" is required',
    );
    expect(() => checkConfig(account({ roles: [{ roleName: 'app', assumeRolePolicyDocument: '{not json' }] }))).toThrow(
      'config: account 111122223333, role app: assumeRolePolicyDocument: Syntax errors in policy.',
    );
    // Checked by the policy language, as a trust policy: it must name a Principal.
    const noPrincipal = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole' }] };
    expect(() => checkConfig(account({ roles: [{ roleName: 'app', assumeRolePolicyDocument: noPrincipal }] }))).toThrow(
      'config: account 111122223333, role app: assumeRolePolicyDocument: Missing required field Principal',
    );
    expect(() => checkConfig(account({ roles: [{ roleName: 'app', assumeRolePolicyDocument: doc, maxSessionDuration: 60 }] }))).toThrow(
      'config: account 111122223333, role app: "maxSessionDuration" must be a whole number of seconds from 3600 to 43200',
    );
    expect(() =>
      checkConfig(
        account({
          users: [
            {
              userName: 'u',
              policies: [
                { policyName: 'p', policyDocument: doc },
                { policyName: 'p', policyDocument: doc },
              ],
            },
          ],
        }),
      ),
    ).toThrow('config: account 111122223333, user u: policy p is listed twice');
  });

  it('lets an account without root keys sign in through its IAM users only', () => {
    const cfg = checkConfig({
      accounts: [
        {
          accountId: '111122223333',
          credentials: [],
          users: [{ userName: 'u', accessKeys: [{ accessKeyId: 'AKIAU', secretAccessKey: 's' }] }],
        },
      ],
    });
    expect(cfg.accounts[0].credentials).toEqual([]);
    expect(() => checkConfig({ accounts: [{ accountId: '111122223333', credentials: [] }] })).toThrow(
      'config: account 111122223333 needs credentials',
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

  it('checks the XKS proxy settings: a CA file path and https endpoints mapped to URLs', () => {
    const ok = { caFile: '/etc/ca.pem', endpoints: { 'https://xks.example.com': 'https://10.0.0.5:8443' }, healthCheckSeconds: 300 };
    expect(checkConfig({ ...defaultConfig(), xksProxy: ok }).xksProxy).toEqual(ok);
    expect(() => checkConfig({ ...defaultConfig(), xksProxy: { caFile: 5 } })).toThrow('config: "xksProxy.caFile" must be a file path');
    expect(() => checkConfig({ ...defaultConfig(), xksProxy: { endpoints: { 'https://xks.example.com:443': 'http://a' } } })).toThrow(
      'config: "xksProxy.endpoints": "https://xks.example.com:443" is not of the form https://<host>',
    );
    expect(() => checkConfig({ ...defaultConfig(), xksProxy: { endpoints: { 'https://xks.example.com': 'ftp://a' } } })).toThrow(
      'config: "xksProxy.endpoints.https://xks.example.com" must be an http(s)://<host>[:port] URL',
    );
    for (const healthCheckSeconds of [0, 1.5, 86401, '60']) {
      expect(() => checkConfig({ ...defaultConfig(), xksProxy: { healthCheckSeconds } })).toThrow(
        'config: "xksProxy.healthCheckSeconds" must be a whole number of seconds from 1 to 86400',
      );
    }
  });
});
