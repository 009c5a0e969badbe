/**
 * Issue 14: noisy neighbours in the console. One tenant signing in again and again must not
 * sign another tenant out; guessing a known access key id pauses sign-in only for the
 * guesser's address, not for the key's owner; and a flood of unknown access key ids must
 * not evict a real key's failure record (which would reset its pause). Requests come from
 * two loopback addresses (127.0.0.1, 127.0.0.2) to stand for owner and attacker.
 */
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV, startKmsd } from '../helpers/kmsd.js';
import type { TestKmsd } from '../helpers/kmsd.js';
import { defaultConfig } from '../../src/config.js';
import { httpJson } from '../helpers/http-json.js';
import type { Answer } from '../helpers/http-json.js';

const TENANT = { accountId: '222233334444', accessKeyId: 'tenant-b', secretAccessKey: 'tenant-b-secret' };
const CONFIG = {
  ...defaultConfig(),
  accounts: [
    ...defaultConfig().accounts,
    { accountId: TENANT.accountId, credentials: [{ accessKeyId: TENANT.accessKeyId, secretAccessKey: TENANT.secretAccessKey }] },
  ],
};
const OWNER = '127.0.0.1';
const ATTACKER = '127.0.0.2';

let t: TestKmsd;
const agents = new Map<string, Agent>();
beforeAll(async () => {
  t = await startKmsd({ config: CONFIG });
});
afterAll(async () => {
  for (const a of agents.values()) a.destroy();
  await t?.close();
});

/** A console API call from a chosen local address (node:http, since fetch cannot pick one). */
function consoleApi(from: string, method: string, path: string, body?: unknown, cookie?: string): Promise<Answer> {
  let agent = agents.get(from);
  if (!agent) agents.set(from, (agent = new Agent({ keepAlive: true, maxSockets: 16, localAddress: from })));
  return httpJson(`${t.url}/console/api/${path}`, { agent, method, body, headers: cookie ? { Cookie: cookie } : {} });
}

const signIn = (from: string, accessKeyId: string, secretAccessKey: string) =>
  consoleApi(from, 'POST', 'session', { accessKeyId, secretAccessKey });

describe('console session floods', () => {
  it("one tenant's sign-in flood ends only its own oldest sessions, never another tenant's", async () => {
    const owner = await signIn(OWNER, DEV.accessKeyId, DEV.secretAccessKey);
    expect(owner.status).toBe(200);
    const flood: Answer[] = [];
    for (let i = 0; i < 120; i++) flood.push(await signIn(ATTACKER, TENANT.accessKeyId, TENANT.secretAccessKey));
    expect(flood.every((a) => a.status === 200)).toBe(true);
    expect((await consoleApi(OWNER, 'GET', 'session', undefined, owner.cookie)).status).toBe(200);
    // The flooding tenant keeps its newest 100 sessions.
    expect((await consoleApi(ATTACKER, 'GET', 'session', undefined, flood[0].cookie)).status).toBe(401);
    expect((await consoleApi(ATTACKER, 'GET', 'session', undefined, flood[19].cookie)).status).toBe(401);
    expect((await consoleApi(ATTACKER, 'GET', 'session', undefined, flood[20].cookie)).status).toBe(200);
    expect((await consoleApi(ATTACKER, 'GET', 'session', undefined, flood[119].cookie)).status).toBe(200);
  });

  it("guessing a known access key id pauses the guesser's address only, and an unknown-id flood does not lift that pause", async () => {
    for (let i = 0; i < 5; i++) expect((await signIn(ATTACKER, DEV.accessKeyId, `guess-${i}`)).status).toBe(401);
    const paused = await signIn(ATTACKER, DEV.accessKeyId, DEV.secretAccessKey);
    expect(paused.status).toBe(429);
    expect(paused.body.__type).toBe('TooManyFailedSignIns');
    // The owner, from its own address, still signs in.
    expect((await signIn(OWNER, DEV.accessKeyId, DEV.secretAccessKey)).status).toBe(200);

    // 10,050 unknown access key ids: more than every failure record kmsd keeps for unknown ids.
    const ids = Array.from({ length: 10_050 }, (_, i) => `unknown-${i}`);
    for (let i = 0; i < ids.length; i += 50) {
      const batch = await Promise.all(ids.slice(i, i + 50).map((id) => signIn(ATTACKER, id, 'nope')));
      expect(batch.every((a) => a.status === 401)).toBe(true);
    }
    expect((await signIn(ATTACKER, DEV.accessKeyId, DEV.secretAccessKey)).status).toBe(429);
    // And the pause ends: it is not kept forever.
    await t.advanceClock(5 * 60);
    expect((await signIn(ATTACKER, DEV.accessKeyId, DEV.secretAccessKey)).status).toBe(200);
  });
});
