/**
 * The page's only way to the server. The session lives in an HttpOnly cookie the page cannot
 * read; the CSRF token is kept in this module's memory only (never in browser storage) and
 * sent with every state-changing request.
 */
export type ServiceName = 'kms' | 'cloudhsm' | 'hsm';
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Session {
  accountId: string;
  accessKeyId: string;
  /** The signed-in principal: the account root or an IAM user. */
  principalArn: string;
  csrfToken: string;
}

/** An error answered by the server: the operation's own AWS error name and message. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

let csrfToken = '';

async function request(method: string, path: string, body?: unknown): Promise<JsonObject> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET') headers['X-Kmsd-Csrf-Token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(`/console/api/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
    });
  } catch (err) {
    throw new ApiError('NetworkError', `kmsd could not be reached: ${(err as Error).message}`, 0);
  }
  let parsed: JsonObject = {};
  try {
    parsed = (await res.json()) as JsonObject;
  } catch {
    parsed = {};
  }
  if (!res.ok) {
    const code = typeof parsed.__type === 'string' ? parsed.__type : `HTTP${res.status}`;
    const message = typeof parsed.message === 'string' ? parsed.message : `The server answered ${res.status} ${res.statusText}.`;
    throw new ApiError(code, message, res.status);
  }
  return parsed;
}

function asSession(o: JsonObject): Session {
  const session = {
    accountId: String(o.accountId),
    accessKeyId: String(o.accessKeyId),
    principalArn: String(o.principalArn),
    csrfToken: String(o.csrfToken),
  };
  csrfToken = session.csrfToken;
  return session;
}

export async function currentSession(): Promise<Session | undefined> {
  try {
    return asSession(await request('GET', 'session'));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return undefined;
    throw err;
  }
}

export async function signIn(accessKeyId: string, secretAccessKey: string): Promise<Session> {
  return asSession(await request('POST', 'session', { accessKeyId, secretAccessKey }));
}

export async function signOut(): Promise<void> {
  await request('DELETE', 'session');
  csrfToken = '';
}

/** Runs one API operation as the signed-in account in `region`; resolves with its JSON output. */
export async function call<T = JsonObject>(service: ServiceName, operation: string, input: JsonObject, region: string): Promise<T> {
  return (await request('POST', 'call', { service, operation, input, region })) as T;
}

/**
 * Every page of a list operation, concatenated: KMS pages with Marker/NextMarker/Truncated,
 * CloudHSM V2 with NextToken.
 */
export async function listAll<T>(service: ServiceName, operation: string, input: JsonObject, member: string, region: string): Promise<T[]> {
  const out: T[] = [];
  let next: JsonObject = {};
  for (;;) {
    const page = await call<Record<string, unknown>>(service, operation, { ...input, ...next }, region);
    out.push(...((page[member] as T[] | undefined) ?? []));
    if (typeof page.NextToken === 'string' && page.NextToken) next = { NextToken: page.NextToken };
    else if (page.Truncated === true && typeof page.NextMarker === 'string') next = { Marker: page.NextMarker };
    else return out;
  }
}
