/**
 * The URL of a request target as the local server routes it, or `undefined` when the target is
 * no URL at all (answer 400). A target in origin form (`/path?query`, the usual one) is read as
 * a path on this server, so `//a/b` is the path `//a/b`, never the host `a`; an absolute-form
 * target (`http://host/path`, as proxies send) is read as it stands. Never throws (unlike
 * `new URL`, whose TypeError would escape a request handler and stop `pnpm dev`).
 *
 * @example
 * const url = parseRequestTarget(request.url);
 * if (!url) return sendError(response, 400, requestId, 'bad_request', 'The request target is not a URL.');
 */
export function parseRequestTarget(target: string | undefined): URL | undefined {
  const text = target ?? '/';
  return (text.startsWith('/') ? URL.parse(`http://localhost${text}`) : URL.parse(text)) ?? undefined;
}
