import { createServer } from 'node:net';
import { expect, it } from 'vitest';
import { listenOn } from './listener.js';

it("hands an 'error' the server reports after listening to onError (an unhandled one would crash kmsd)", async () => {
  const server = createServer();
  const errors: Error[] = [];
  await listenOn(server, 0, '127.0.0.1', (err) => errors.push(err));
  const failure = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE' });
  // emit() throws for an 'error' event nobody listens to; with onError attached it does not.
  expect(() => server.emit('error', failure)).not.toThrow();
  expect(errors).toEqual([failure]);
  await new Promise((resolve) => server.close(resolve));
});

it('rejects when the port cannot be listened on, and does not call onError for it', async () => {
  const first = createServer();
  await listenOn(first, 0, '127.0.0.1', () => undefined);
  const port = (first.address() as { port: number }).port;
  const errors: Error[] = [];
  await expect(listenOn(createServer(), port, '127.0.0.1', (err) => errors.push(err))).rejects.toMatchObject({ code: 'EADDRINUSE' });
  expect(errors).toEqual([]);
  await new Promise((resolve) => first.close(resolve));
});
