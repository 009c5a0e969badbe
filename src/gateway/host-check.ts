/**
 * The Host check, the gateway's first stage. A browser page on another origin can reach a
 * kmsd on 127.0.0.1 by DNS rebinding (its own name, re-pointed at 127.0.0.1): the request
 * then carries that foreign name in Host. Only the names and addresses kmsd is reached by are
 * accepted, for the API, the console and /health alike.
 */
import { networkInterfaces, hostname } from 'node:os';
import { ServiceError } from '../core/service-error.js';

/** Allows every Host (behind a proxy that checks it, for instance). */
export const ANY_HOST = '*';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];
const WILDCARD_ADDRESSES = new Set(['0.0.0.0', '::', '']);

export class HostNotAllowedException extends ServiceError {
  constructor(host: string | undefined) {
    super(
      'HostNotAllowedException',
      host === undefined
        ? 'The request has no Host header.'
        : `Host '${printable(host)}' is not one this kmsd answers to (see kmsd serve --allowed-hosts).`,
      400,
    );
  }
}

/**
 * The names a kmsd bound to `bindHost` answers to by default: the bind address (on a wildcard
 * bind, every interface address and the machine's host name), plus the loopback names.
 */
export function defaultAllowedHosts(bindHost: string): string[] {
  const names = new Set(LOOPBACK_NAMES);
  if (WILDCARD_ADDRESSES.has(bindHost)) {
    names.add(hostname().toLowerCase());
    for (const addresses of Object.values(networkInterfaces())) {
      for (const a of addresses ?? []) names.add(a.address.toLowerCase());
    }
  } else {
    names.add(normalize(bindHost));
  }
  return [...names];
}

/** A predicate over the Host header; `*` in the list allows every host. */
export function hostAllowList(allowed: string[]): (hostHeader: string | undefined) => boolean {
  if (allowed.includes(ANY_HOST)) return () => true;
  const names = new Set(allowed.map(normalize));
  return (hostHeader) => hostHeader !== undefined && names.has(normalize(hostOf(hostHeader)));
}

/** Throws HostNotAllowedException unless the request's Host is allowed. */
export function checkHost(isAllowed: (hostHeader: string | undefined) => boolean, hostHeader: string | undefined): void {
  if (!isAllowed(hostHeader)) throw new HostNotAllowedException(hostHeader);
}

/** `name:port` -> name; `[::1]:4599` -> ::1 (RFC 7230 §5.4: uri-host [ ":" port ]). */
function hostOf(header: string): string {
  const h = header.trim();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.lastIndexOf(':');
  return colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
}

/** Case-insensitive, without brackets or a trailing root dot (`localhost.` is localhost). */
function normalize(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.startsWith('[') && n.endsWith(']')) n = n.slice(1, -1);
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/** The Host value as echoed in an error: bounded, and only printable ASCII. */
function printable(value: string): string {
  return value.slice(0, 100).replace(/[^\x20-\x7e]/g, '?');
}
