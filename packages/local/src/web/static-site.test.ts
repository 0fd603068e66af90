import { describe, expect, it } from 'vitest';
import { chatPageContentSecurityPolicy, serveStaticPage, staticPagePaths } from './static-site.js';

const page = (path: string) => {
  const served = serveStaticPage(path);
  if (!served) throw new Error(`${path} is not served`);
  return { ...served, text: served.body.toString('utf8') };
};

describe('serveStaticPage', () => {
  it('serves the chat page at / and /index.html as UTF-8 HTML', () => {
    for (const path of ['/', '/index.html']) {
      const served = page(path);
      expect(served.status).toBe(200);
      expect(served.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(served.text).toMatch(/^<!doctype html>\s*<html lang="ja">/);
    }
  });

  it('serves the module and the stylesheet with their content types', () => {
    expect(page('/chat.js').headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(page('/chat.css').headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('marks every file no-store, nosniff and under the strict content security policy', () => {
    for (const path of staticPagePaths) {
      expect(page(path).headers).toMatchObject({
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'content-security-policy': chatPageContentSecurityPolicy,
      });
    }
    expect(chatPageContentSecurityPolicy).toContain("default-src 'self'");
    expect(chatPageContentSecurityPolicy).toContain("connect-src 'self' ws: wss:");
    expect(chatPageContentSecurityPolicy).not.toContain('unsafe-inline');
  });

  it('states the exact body length', () => {
    const served = page('/');
    expect(served.headers['content-length']).toBe(String(served.body.length));
  });

  it('leaves every other path to the caller', () => {
    for (const path of ['/favicon.ico', '/static-site.ts', '/../package.json', '/chat.js/', '/v1/chat', '']) {
      expect(serveStaticPage(path)).toBeUndefined();
    }
  });

  it('loads nothing from outside its own origin', () => {
    for (const path of staticPagePaths) {
      expect(page(path).text).not.toMatch(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}\//i);
    }
  });

  it('never writes model output as HTML', () => {
    expect(page('/chat.js').text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
  });

  it('labels the message box and announces the conversation and errors', () => {
    const html = page('/').text;
    expect(html).toMatch(/<label for="message"/);
    expect(html).toMatch(/<textarea\s+id="message"/);
    expect(html).toMatch(/role="log"\s+aria-live="polite"/);
    expect(html).toContain('role="alert"');
  });
});
