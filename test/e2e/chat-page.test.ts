// The chat page that `pnpm dev` serves at `/`, in a real browser: headless Chromium (Debian's
// `chromium` package, driven by playwright-core; a browser is never downloaded) types questions,
// watches the answer stream in over the WebSocket and over SSE, and reads each answer's details.
import { randomUUID } from 'node:crypto';
import { type DevServer, startDevServer } from '@mangaassist/local';
import { sampleCatalog } from '@mangaassist/retrieval';
import { type Browser, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';

/** Generous: appearance waits only bound a hung test, they assert nothing about speed. */
const appearMs = 20_000;

let server: DevServer;
let browser: Browser;
const pages: Page[] = [];

beforeAll(async () => {
  server = await startDevServer({ port: 0 });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

beforeEach(async () => {
  // A pause between tokens, so that every answer arrives as many deltas over a visible time.
  await control('POST', '/_local/bedrock/faults', { tokenDelayMs: 15 });
});

afterEach(async () => {
  for (const page of pages.splice(0)) await page.context().close();
  await control('DELETE', '/_local/bedrock/faults');
  await control('DELETE', '/_local/bedrock/scripts');
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function control(
  method: 'POST' | 'DELETE',
  path: string,
  body?: unknown,
  target: DevServer = server,
): Promise<void> {
  const response = await fetch(`${target.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok, `${method} ${path} answered ${response.status}`).toBe(true);
}

/** A unique word, so that no answer comes from another test's cache or script. */
const marker = () => `ref${randomUUID().slice(0, 8)}`;

// The in-page side of the growth watcher. The repository compiles without the DOM library, so
// the few browser globals it touches are typed here.
interface BrowserNode {
  readonly textContent: string | null;
  hasAttribute(name: string): boolean;
}
interface BrowserGlobals {
  readonly document: {
    querySelector(selector: string): BrowserNode | null;
    querySelectorAll(selector: string): ArrayLike<BrowserNode>;
  };
  readonly MutationObserver: new (
    callback: () => void,
  ) => { observe(target: BrowserNode, options: Record<string, boolean>): void };
  chatGrowth?: Growth;
}
/** The canvas API the font check draws with. */
interface CanvasGlobals {
  readonly document: {
    querySelector(selector: string): BrowserNode | null;
    createElement(tag: 'canvas'): {
      width: number;
      height: number;
      getContext(kind: '2d'): {
        font: string;
        textBaseline: string;
        fillText(text: string, x: number, y: number): void;
        getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray };
      };
    };
  };
  getComputedStyle(node: BrowserNode): { fontFamily: string };
}
const activeElementId = () =>
  (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement
    ?.id;
/** Each distinct length the newest answer's text had, and whether Send was disabled then. */
interface Growth {
  readonly lengths: number[];
  readonly sendDisabled: boolean[];
}

/** The chat page in a fresh browser context, ready to send (its tenant keys are loaded). */
class ChatPage {
  readonly pageErrors: string[] = [];

  private constructor(readonly page: Page) {
    page.on('pageerror', (error) => this.pageErrors.push(error.message));
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) this.pageErrors.push(message.text());
    });
  }

  static async open(
    options: {
      transport?: 'WebSocket' | 'SSE';
      before?: (page: Page) => Promise<unknown>;
      target?: DevServer;
    } = {},
  ) {
    const context = await browser.newContext();
    const page = await context.newPage();
    pages.push(page);
    const chat = new ChatPage(page);
    await options.before?.(page);
    const served = await page.goto(`${(options.target ?? server).url}/`);
    expect(served?.status(), 'the dev server serves the page at /').toBe(200);
    await page.locator('main[data-ready="true"]').waitFor({ timeout: appearMs });
    if (options.transport === 'SSE') await page.getByRole('radio', { name: 'SSE' }).check();
    return chat;
  }

  get messageBox(): Locator {
    return this.page.getByRole('textbox', { name: /Message/ });
  }

  get sendButton(): Locator {
    return this.page.getByRole('button', { name: /Send/ });
  }

  answer(index: number): Locator {
    return this.page.locator('article.answer').nth(index);
  }

  /** Types the question, presses Enter and waits until its answer is complete (or failed). */
  async ask(question: string): Promise<Locator> {
    const index = await this.page.locator('article.answer').count();
    await this.watchGrowth();
    await this.messageBox.fill(question);
    await this.messageBox.press('Enter');
    const answer = this.answer(index);
    await answer.and(this.page.locator('[data-state="complete"], [data-state="error"]')).waitFor({
      timeout: appearMs,
    });
    const failure = await answer.locator('.answer-failure').allTextContents();
    expect(failure, 'the answer failed').toEqual([]);
    return answer;
  }

  async answerText(answer: Locator): Promise<string> {
    return (await answer.locator('.answer-text').textContent()) ?? '';
  }

  async sessionId(): Promise<string> {
    return (await this.page.getByRole('log').getAttribute('data-session-id')) ?? '';
  }

  async growth(): Promise<Growth> {
    return this.page.evaluate(
      () => (globalThis as unknown as BrowserGlobals).chatGrowth ?? { lengths: [], sendDisabled: [] },
    );
  }

  /** Records the newest answer's text length at every change of the transcript. */
  private async watchGrowth(): Promise<void> {
    await this.page.evaluate(() => {
      const window = globalThis as unknown as BrowserGlobals;
      const growth: Growth = { lengths: [], sendDisabled: [] };
      window.chatGrowth = growth;
      const log = window.document.querySelector('[role="log"]');
      const send = window.document.querySelector('#send');
      if (!log || !send) throw new Error('The page has no log or no send button.');
      const before = window.document.querySelectorAll('.answer-text').length;
      new window.MutationObserver(() => {
        const answers = window.document.querySelectorAll('.answer-text');
        const newest = answers.length > before ? answers[answers.length - 1] : undefined;
        const length = newest?.textContent?.length ?? 0;
        if (length > 0 && growth.lengths.at(-1) !== length) {
          growth.lengths.push(length);
          growth.sendDisabled.push(send.hasAttribute('disabled'));
        }
      }).observe(log, { childList: true, subtree: true, characterData: true });
    });
  }
}

/** The answer grew in steps while Send stayed disabled, and ended at its full length. */
async function expectStreamedIn(chat: ChatPage, answer: Locator): Promise<void> {
  const text = await chat.answerText(answer);
  const { lengths, sendDisabled } = await chat.growth();
  expect(lengths.length, `lengths seen: ${lengths.join(', ')}`).toBeGreaterThan(2);
  expect(lengths[0]).toBeLessThan(text.length);
  expect(lengths.at(-1)).toBe(text.length);
  expect(sendDisabled.every(Boolean)).toBe(true);
  expect(await chat.sendButton.isEnabled()).toBe(true);
}

async function expectDetails(answer: Locator): Promise<void> {
  expect(await answer.locator('.detail-model dd').textContent()).toMatch(/^claude-/);
  expect(await answer.locator('.detail-cost dd').textContent()).toMatch(/^\$\d+\.\d{6}$/);
  expect(await answer.locator('.detail-tokens dd').textContent()).toMatch(/^\d+ \/ \d+/);
  expect(await answer.locator('.detail-latency dd').textContent()).toMatch(/^\d+ ms$/);
  expect(await answer.locator('.detail-ttft dd').textContent()).toMatch(/^(\d+ ms|—)$/);
  expect(await answer.getAttribute('data-cached')).toBe('false');
  expect(await answer.getAttribute('data-degraded')).toBe('false');
  expect(await answer.locator('.badge-fresh').isVisible()).toBe(true);
}

/**
 * Asks twice in one conversation: the second prompt matches a script only through the first
 * turn (its marker is not in the second question), so the scripted answer proves the context.
 */
async function converse(chat: ChatPage): Promise<void> {
  const word = marker();
  const first = await chat.ask(`${word} ワンピースの最新刊は何巻ですか？`);
  expect(await chat.answerText(first)).toContain('[local');
  await expectStreamedIn(chat, first);
  await expectDetails(first);
  const session = await chat.sessionId();
  expect(session).toMatch(/^[a-f0-9-]{36}$/);

  const scripted = '前の質問の続きですね。最新刊は第110巻です。 The latest volume is 110.';
  await control('POST', '/_local/bedrock/scripts', { match: word, text: scripted });
  const second = await chat.ask('それは いつ 発売されましたか？');
  expect(await chat.answerText(second)).toBe(scripted);
  await expectStreamedIn(chat, second);
  expect(await chat.sessionId()).toBe(session);
  expect(await chat.page.locator('article.turn-user').count()).toBe(2);
  expect(chat.pageErrors).toEqual([]);
}

describe('the chat page', { timeout: 90_000 }, () => {
  it('streams an answer over the WebSocket and keeps the conversation in one session', async () => {
    await converse(await ChatPage.open());
  });

  it('streams an answer over SSE and keeps the conversation in one session', async () => {
    const chat = await ChatPage.open({ transport: 'SSE' });
    await converse(chat);
    expect(await chat.page.locator('article.answer[data-transport="sse"]').count()).toBe(2);
  });

  it('answers an English question in English', async () => {
    const chat = await ChatPage.open();
    const answer = await chat.ask(`Which manga is ${marker()} about cooking?`);
    expect(await chat.answerText(answer)).toMatch(/^\[local .*You asked/);
    expect(await answer.locator('.answer-text').getAttribute('lang')).toBe('en');
  });

  it('starts a new conversation without the previous context', async () => {
    const chat = await ChatPage.open();
    const word = marker();
    await chat.ask(`${word} 進撃の巨人は完結していますか？`);
    const firstSession = await chat.sessionId();
    await control('POST', '/_local/bedrock/scripts', { match: word, text: 'この回答は文脈から来ました。' });

    await chat.page.getByRole('button', { name: /New conversation/ }).click();
    expect(await chat.page.locator('article.turn').count()).toBe(0);
    expect(await chat.sessionId()).toBe('');

    const answer = await chat.ask('おすすめの料理漫画は？');
    expect(await chat.answerText(answer)).toContain('[local');
    expect(await chat.sessionId()).not.toBe(firstSession);
  });

  it('resumes an answer after the connection drops mid-stream, losing and repeating nothing', async () => {
    // The first connection passes three deltas, holds back the rest as if lost in transit, and
    // drops once the server has finished the stream (so the server's log holds all of it);
    // the page must reconnect with a new ticket and `resume` after the last seq it saw.
    let connections = 0;
    const chat = await ChatPage.open({
      before: (page) =>
        page.routeWebSocket(/\/ws\?ticket=/, (pageSide) => {
          connections += 1;
          const serverSide = pageSide.connectToServer();
          if (connections > 1) return;
          let deltas = 0;
          serverSide.onMessage((message) => {
            const { type } = JSON.parse(String(message)) as { type: string };
            if (deltas < 3) {
              pageSide.send(message);
              if (type === 'delta') deltas += 1;
            } else if (type === 'complete') {
              void pageSide.close({ code: 4000, reason: 'the test drops the connection' });
            }
          });
        }),
    });
    const word = marker();
    const scripted = `${Array.from({ length: 40 }, (_, index) => `word${index}`).join(' ')} おわり。`;
    await control('POST', '/_local/bedrock/scripts', { match: word, text: scripted });

    const answer = await chat.ask(`${word} 長い答えをください`);
    expect(await chat.answerText(answer)).toBe(scripted);
    expect(connections).toBe(2);
    await expectDetails(answer);
  });

  it('shows the fallback badge when no model can answer', async () => {
    // Its own server: the failures open circuit breakers that other tests must not inherit.
    const failing = await startDevServer({ port: 0 });
    try {
      await control('POST', '/_local/bedrock/faults', { error: 'ServiceUnavailableException' }, failing);
      const chat = await ChatPage.open({ target: failing });
      const answer = await chat.ask(`${marker()} 今日のおすすめは？`);
      expect(await answer.getAttribute('data-degraded')).toBe('true');
      expect(await answer.locator('.badge-degraded').isVisible()).toBe(true);
    } finally {
      await failing.close();
    }
  });

  it.each(['WebSocket', 'SSE'] as const)(
    'shows the catalog products an answer cites as cards under it (%s)',
    async (transport) => {
      const grounded = await startDevServer({ port: 0, catalog: true });
      try {
        const latest = sampleCatalog().find((product) => product.productId === 'one-piece-110');
        const chat = await ChatPage.open({ target: grounded, transport });
        const answer = await chat.ask('ワンピースの最新刊はいくら？');
        const card = answer.locator('.citations .citation-card[data-product-id="one-piece-110"]');
        expect(await card.isVisible()).toBe(true);
        expect(await card.textContent()).toContain(`¥${latest?.priceJpy} · ISBN ${latest?.isbn}`);
        expect(await answer.getByRole('list', { name: /catalog sources/ }).count()).toBe(1);
        expect(await chat.answerText(answer)).toContain(`¥${latest?.priceJpy}`);
      } finally {
        await grounded.close();
      }
    },
  );

  it('announces a failed request in the alert region and lets the person send again', async () => {
    const chat = await ChatPage.open({
      before: (page) =>
        page.route('**/v1/ws-tickets', (route) =>
          route.fulfill({
            status: 429,
            contentType: 'application/json',
            body: JSON.stringify({
              error: { code: 'too_many_requests', message: 'Slow down.', request_id: 'r-1' },
            }),
          }),
        ),
    });
    await chat.messageBox.fill('こんにちは');
    await chat.messageBox.press('Enter');
    const alert = chat.page.getByRole('alert');
    await alert.getByText('Slow down. (too_many_requests)').waitFor({ timeout: appearMs });
    expect(await chat.answer(0).getAttribute('data-state')).toBe('error');
    expect(await chat.sendButton.isEnabled()).toBe(true);
  });

  it('is labelled for assistive technology and works from the keyboard', async () => {
    const chat = await ChatPage.open();
    const { page } = chat;
    expect(await page.getAttribute('html', 'lang')).toBe('ja');
    expect(await page.getByRole('log', { name: /Conversation/ }).getAttribute('aria-live')).toBe('polite');
    await page.getByRole('combobox', { name: /Tenant/ }).waitFor();
    await page.getByRole('radio', { name: 'WebSocket' }).waitFor();

    await chat.messageBox.focus();
    await page.keyboard.type('一行目');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('二行目');
    expect(await chat.messageBox.inputValue()).toBe('一行目\n二行目');
    expect(await page.locator('article.turn').count()).toBe(0);

    await page.keyboard.press('Tab');
    expect(await page.evaluate(activeElementId)).toBe('send');
    await page.keyboard.press('Enter');
    await chat.answer(0).and(page.locator('[data-state="complete"]')).waitFor({ timeout: appearMs });
    expect(await page.locator('article.turn-user .turn-text').textContent()).toBe('一行目\n二行目');
  });

  it('renders Japanese with real glyphs, not the boxes of a missing CJK font', async () => {
    const chat = await ChatPage.open();
    await chat.ask(`${marker()} 漫画の新刊はありますか？`);
    // Two different kanji drawn in the answer's font come out pixel for pixel the same only when
    // both are the "missing glyph" box: the machine has no CJK font (README, prerequisites).
    const glyphs = await chat.page.evaluate(() => {
      const { document, getComputedStyle } = globalThis as unknown as CanvasGlobals;
      const answer = document.querySelector('.answer-text');
      if (!answer) throw new Error('The page shows no answer.');
      const font = `32px ${getComputedStyle(answer).fontFamily}`;
      const draw = (text: string) => {
        const canvas = document.createElement('canvas');
        canvas.width = 48;
        canvas.height = 48;
        const context = canvas.getContext('2d');
        context.font = font;
        context.textBaseline = 'top';
        context.fillText(text, 4, 4);
        return context.getImageData(0, 0, 48, 48).data.join(',');
      };
      return { manga: draw('漫'), picture: draw('画'), missing: draw('\u{10FFFD}') };
    });
    const noCjkFont = 'no CJK font: install fonts-noto-cjk or fonts-ipafont-gothic';
    expect(glyphs.manga === glyphs.picture, noCjkFont).toBe(false);
    expect(glyphs.manga === glyphs.missing, noCjkFont).toBe(false);
  });

  it('fits a 320 px wide screen without sideways scrolling', async () => {
    const chat = await ChatPage.open();
    await chat.page.setViewportSize({ width: 320, height: 640 });
    await chat.ask(`${marker()} 小さな画面でも読めますか？とても長い質問の文章を書いてみます。`);
    const widths = await chat.page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number } } })
        .document.documentElement;
      return root.scrollWidth;
    });
    expect(widths).toBeLessThanOrEqual(320);
  });
});
