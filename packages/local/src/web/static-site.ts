import { readFileSync } from 'node:fs';

/** A ready-to-send answer for one static file of the chat page. */
export interface StaticPageResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/**
 * What the page may load: only its own files, its own API and the WebSocket on its own host
 * (`ws:`/`wss:` because CSP `'self'` did not cover WebSocket schemes in older browsers).
 * No inline script or style, no plugins, no framing.
 */
export const chatPageContentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' ws: wss:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const files: Readonly<Record<string, { readonly file: string; readonly contentType: string }>> = {
  '/': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', contentType: 'text/html; charset=utf-8' },
  '/chat.js': { file: 'chat.js', contentType: 'text/javascript; charset=utf-8' },
  '/chat.css': { file: 'chat.css', contentType: 'text/css; charset=utf-8' },
};

/** The URL paths `serveStaticPage` answers. */
export const staticPagePaths: readonly string[] = Object.keys(files);

/**
 * The chat page's file for a URL path (`/`, `/index.html`, `/chat.js`, `/chat.css`), or
 * `undefined` for any other path so the caller can route it elsewhere. The files sit next to
 * this module and are read on every call, so an edited page shows on reload without restarting
 * `pnpm dev`. Answers carry `cache-control: no-store`, a strict Content-Security-Policy and
 * `x-content-type-options: nosniff`. Serve it for GET (and HEAD, without the body).
 *
 * @throws when a page file is missing from the package (a broken checkout), never for a request.
 * @example
 * const page = serveStaticPage(new URL(request.url ?? '/', 'http://localhost').pathname);
 * if (page) response.writeHead(page.status, page.headers).end(page.body);
 */
export function serveStaticPage(path: string): StaticPageResponse | undefined {
  const entry = Object.hasOwn(files, path) ? files[path] : undefined;
  if (entry === undefined) return undefined;
  const body = readFileSync(new URL(entry.file, import.meta.url));
  return {
    status: 200,
    headers: {
      'content-type': entry.contentType,
      'content-length': String(body.length),
      'cache-control': 'no-store',
      'content-security-policy': chatPageContentSecurityPolicy,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    },
    body,
  };
}
