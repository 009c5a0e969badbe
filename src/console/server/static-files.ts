/**
 * Serves the built console (Vite output) under /console/. Paths without a file extension are
 * the app's own pages and get index.html; everything else must be a file inside the asset
 * directory (no traversal out of it).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Both src/console/server and dist/console/server sit three levels below the package root. */
export const DEFAULT_ASSET_DIR = fileURLToPath(new URL('../../../dist/console/public/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

/** Headers for every console response: no framing, no sniffing, only our own scripts. */
export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

export function serveStatic(assetDir: string, subPath: string, res: ServerResponse, headOnly: boolean): void {
  const root = normalize(assetDir.endsWith(sep) ? assetDir : assetDir + sep);
  let relative: string;
  try {
    relative = decodeURIComponent(subPath);
  } catch {
    return notFound(res);
  }
  const isPage = extname(relative) === '';
  const file = isPage ? join(root, 'index.html') : normalize(join(root, relative));
  if (!file.startsWith(root)) return notFound(res);
  if (!existsSync(file) || !statSync(file).isFile()) {
    if (isPage) {
      res.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('The console has not been built: run `npm run build`.\n');
      return;
    }
    return notFound(res);
  }
  const body = readFileSync(file);
  res.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    // Vite fingerprints asset names, so they can be cached; the page itself must not be.
    'Cache-Control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-store',
    ...SECURITY_HEADERS,
  });
  res.end(headOnly ? undefined : body);
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
  res.end('Not found\n');
}
