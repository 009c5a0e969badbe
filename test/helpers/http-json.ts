/**
 * A JSON request over a chosen node:http Agent (fetch cannot pin a connection or pick a local
 * address): for console API calls from a given address or over a given worker's connection.
 */
import { request } from 'node:http';
import type { Agent } from 'node:http';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  /** The name=value part of the first Set-Cookie, if any. */
  cookie?: string;
}

export interface HttpJsonRequest {
  agent: Agent;
  method: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Gives up (rejects) after this long without an answer on the connection. */
  timeoutMs?: number;
}

export function httpJson(url: string, r: HttpJsonRequest): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: r.method,
        agent: r.agent,
        headers: { 'Content-Type': 'application/json', ...r.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
            cookie: res.headers['set-cookie']?.[0]?.split(';')[0],
          }),
        );
      },
    );
    if (r.timeoutMs !== undefined) req.setTimeout(r.timeoutMs, () => req.destroy(new Error('no answer')));
    req.on('error', reject);
    req.end(r.body === undefined ? undefined : JSON.stringify(r.body));
  });
}
