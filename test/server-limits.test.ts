/**
 * The server's own limits under clients that misbehave: slow requests are cut off, the
 * connection cap holds, and 1,000 connections trickling bytes do not stop kmsd from
 * answering everyone else.
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CreateKeyCommand, DecryptCommand, EncryptCommand } from '@aws-sdk/client-kms';
import { startKmsd } from './helpers/kmsd.js';
import type { TestKmsd } from './helpers/kmsd.js';

let t: TestKmsd | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await t?.close();
  t = undefined;
});

function open(url: string): Promise<Socket> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(u.port), u.hostname, () => resolve(socket));
    socket.on('error', reject);
    sockets.push(socket);
  });
}

/** Everything the server sends until it closes the connection. */
function untilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d) => (text += d.toString('utf8')));
    socket.on('close', () => resolve(text));
    // A reset is also a close for this purpose.
    socket.on('error', () => undefined);
  });
}

describe('server limits', () => {
  it('cuts off a request whose headers never finish (408), as --request-timeout says', async () => {
    t = await startKmsd({ limits: { requestTimeoutMs: 1000, headersTimeoutMs: 1000 } });
    const socket = await open(t.url);
    const answer = untilClosed(socket);
    socket.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Tar');
    expect(await answer).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes connections beyond --max-connections and serves again once one leaves', async () => {
    t = await startKmsd({ limits: { maxConnections: 3 } });
    const held = [await open(t.url), await open(t.url), await open(t.url)];
    // Node counts a connection once it accepted it; a request on each makes sure all three were.
    for (const s of held) s.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await Promise.all(held.map((s) => new Promise((r) => s.once('data', r))));
    const extra = await open(t.url);
    extra.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await untilClosed(extra)).toBe('');
    held[0].destroy();
    await new Promise((r) => held[0].once('close', r));
    // The server sees the close a moment later; ask until it has room again.
    let status = 0;
    while (status !== 200) {
      status = await fetch(`${t.url}/health`, { headers: { connection: 'close' } }).then(
        (r) => r.status,
        () => 0,
      );
    }
    expect(status).toBe(200);
  });

  it('keeps answering /health and signed requests while 1,000 connections trickle bytes', async () => {
    t = await startKmsd();
    const kms = t.kms();
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    const rssBefore = process.memoryUsage().rss;
    const tricklers: Socket[] = [];
    for (let i = 0; i < 1000; i++) {
      const s = await open(t.url);
      s.on('error', () => undefined);
      s.write('POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      tricklers.push(s);
    }
    const trickle = setInterval(() => {
      for (const s of tricklers) if (!s.destroyed) s.write('a');
    }, 100);
    try {
      for (let round = 0; round < 5; round++) {
        const health = await fetch(`${t.url}/health`);
        expect(health.status).toBe(200);
        const plaintext = Buffer.from(`round ${round}`);
        const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: KeyMetadata?.KeyId, Plaintext: plaintext }));
        const { Plaintext } = await kms.send(new DecryptCommand({ CiphertextBlob }));
        expect(Buffer.from(Plaintext ?? [])).toEqual(plaintext);
      }
      const grownMb = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
      console.log(`1,000 trickling connections: resident memory grew ${grownMb.toFixed(1)} MB (kmsd and the test in one process)`);
      expect(grownMb).toBeLessThan(200);
    } finally {
      clearInterval(trickle);
    }
  });
});
