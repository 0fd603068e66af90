// @ts-check
/**
 * The MangaAssist chat page that `pnpm dev` serves at `/`: one ES module, no framework, no build
 * step. It talks to the public API like any other client: a dev tenant's key from
 * `GET /_local/api-keys`, then either the WebSocket (`POST /v1/ws-tickets`, `/ws?ticket=…`,
 * `sendMessage` / `resume` / `clearSession`) or SSE (`POST /v1/chat/stream`, read with `fetch`
 * because EventSource cannot POST). Model output is only ever written with `textContent`.
 */

/** Seed 002's session id (the WebSocket accepts only this shape). */
const uuidV4 = /^[a-f0-9]{8}-[a-f0-9]{4}-4[a-f0-9]{3}-[89ab][a-f0-9]{3}-[a-f0-9]{12}$/;
const japaneseText = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Reconnects after an unexpected close mid-stream before the answer is given up. */
const maxResumeAttempts = 4;
/** An answer that receives nothing for this long is given up (the server's own deadlines are far shorter). */
const idleTimeoutMs = 30_000;
/** After a resume, how long without a new frame before asking again (the replay may predate the stream's end). */
const resumePollMs = 1_000;

/**
 * @typedef {{ tenant: string, key: string }} ApiKey
 * @typedef {{ input_tokens: number, output_tokens: number, cache_read_input_tokens?: number, cache_write_input_tokens?: number }} Usage
 * @typedef {{ model: string, usage: Usage, cost_usd: number, latency_ms: number, ttft_ms?: number,
 *   cached: boolean, degraded: boolean, stop_reason?: string, region?: string, session_id?: string,
 *   stored?: boolean, citations?: Citation[] }} AnswerDetails
 * @typedef {{ product_id: string, title: string, title_en: string, volume: number, price_jpy: number,
 *   isbn: string, in_stock: boolean }} Citation
 * @typedef {{ finish(): void, fail(error: Error): void, done: Promise<void> }} Completion
 * @typedef {{ answer: AnswerView, streamId: string | undefined, lastSeq: number, attempts: number,
 *   completion: Completion, watchdog: Watchdog, resumePoll: ReturnType<typeof setTimeout> | undefined }} SocketStream
 */

/** @param {string} id */
function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page lacks #${id}.`);
  return element;
}

const main = /** @type {HTMLElement} */ (document.querySelector('main'));
const tenantSelect = /** @type {HTMLSelectElement} */ (byId('tenant'));
const modelSelect = /** @type {HTMLSelectElement} */ (byId('model'));
const languageSelect = /** @type {HTMLSelectElement} */ (byId('language'));
const newConversationButton = /** @type {HTMLButtonElement} */ (byId('new-conversation'));
const statusLine = byId('status');
const errorRegion = byId('errors');
const transcript = byId('transcript');
const emptyHint = byId('empty-hint');
const composer = /** @type {HTMLFormElement} */ (byId('composer'));
const messageInput = /** @type {HTMLTextAreaElement} */ (byId('message'));
const sendButton = /** @type {HTMLButtonElement} */ (byId('send'));
const transportRadios = /** @type {NodeListOf<HTMLInputElement>} */ (
  document.querySelectorAll('input[name="transport"]')
);

const state = {
  /** @type {ApiKey[]} */
  keys: [],
  ready: false,
  busy: false,
  /** @type {string | undefined} */
  sessionId: undefined,
};

// ---------------------------------------------------------------------------------------------
// Small helpers

/** @param {string} text */
function languageOf(text) {
  return japaneseText.test(text) ? 'ja' : 'en';
}

/** A UUID v4 from `crypto.getRandomValues`, which (unlike `randomUUID`) also works over plain http on a LAN address. */
function newSessionId() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** @param {number} usd */
function formatCost(usd) {
  return `$${usd.toFixed(6)}`;
}

/** @param {number | undefined} ms */
function formatMs(ms) {
  return ms === undefined ? '—' : `${Math.round(ms)} ms`;
}

/** @param {unknown} error */
function messageOf(error) {
  return error instanceof Error ? error.message : String(error);
}

/** @returns {Completion} */
function createCompletion() {
  /** @type {() => void} */
  let finish = () => {};
  /** @type {(error: Error) => void} */
  let fail = () => {};
  let settled = false;
  const done = new Promise((resolve, reject) => {
    finish = () => {
      if (!settled) resolve(undefined);
      settled = true;
    };
    fail = (error) => {
      if (!settled) reject(error);
      settled = true;
    };
  });
  return { finish, fail, done };
}

/** Calls `onIdle` when `poke` has not been called for `idleTimeoutMs`. */
class Watchdog {
  /** @param {() => void} onIdle */
  constructor(onIdle) {
    this.onIdle = onIdle;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.poke();
  }

  poke() {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onIdle, idleTimeoutMs);
  }

  stop() {
    clearTimeout(this.timer);
  }
}

/**
 * The error a non-2xx API answer carries (`{ error: { code, message } }`), as an Error.
 * @param {Response} response
 */
async function apiError(response) {
  try {
    const body = await response.json();
    const error = body?.error;
    if (error && typeof error.message === 'string') {
      return new Error(`${error.message} (${error.code ?? response.status})`);
    }
  } catch {
    // Not JSON: fall through to the status line.
  }
  return new Error(`HTTP ${response.status} ${response.statusText}`.trim());
}

// ---------------------------------------------------------------------------------------------
// The page: status, errors, transcript

/** @param {string} text */
function setStatus(text) {
  statusLine.textContent = text;
}

/** @param {string} text */
function showError(text) {
  const paragraph = document.createElement('p');
  paragraph.textContent = text;
  errorRegion.replaceChildren(paragraph);
}

function clearErrors() {
  errorRegion.replaceChildren();
}

/** @param {string | undefined} sessionId */
function adoptSession(sessionId) {
  if (!sessionId) return;
  state.sessionId = sessionId;
  transcript.dataset.sessionId = sessionId;
}

/** @param {boolean} busy */
function setBusy(busy) {
  state.busy = busy;
  const locked = busy || !state.ready;
  sendButton.disabled = locked;
  newConversationButton.disabled = locked;
  tenantSelect.disabled = locked;
  modelSelect.disabled = busy;
  languageSelect.disabled = busy;
  for (const radio of transportRadios) radio.disabled = busy;
  transcript.setAttribute('aria-busy', String(busy));
}

/** Large screens scroll the transcript; small ones (where it grows with its content) scroll the page. */
function transcriptScrolls() {
  return transcript.scrollHeight > transcript.clientHeight + 1;
}

function nearEnd() {
  if (transcriptScrolls())
    return transcript.scrollHeight - transcript.scrollTop - transcript.clientHeight < 48;
  return document.documentElement.scrollHeight - window.scrollY - window.innerHeight < 120;
}

/** Brings the newest turn (and, on small screens, the message box under it) into view. */
function scrollToEnd() {
  if (transcriptScrolls()) transcript.scrollTop = transcript.scrollHeight;
  else window.scrollTo(0, document.documentElement.scrollHeight);
}

/**
 * @param {'user' | 'assistant'} role
 * @param {string} speaker
 */
function appendTurn(role, speaker) {
  emptyHint.remove();
  const article = document.createElement('article');
  article.className = `turn turn-${role}`;
  const label = document.createElement('p');
  label.className = 'turn-speaker';
  label.textContent = speaker;
  const text = document.createElement('p');
  text.className = 'turn-text';
  article.append(label, text);
  transcript.append(article);
  return { article, text };
}

/** @param {string} content */
function addUserTurn(content) {
  const { text } = appendTurn('user', 'あなた / You');
  text.lang = languageOf(content);
  text.textContent = content;
  scrollToEnd();
}

/** One assistant answer in the transcript: grows with each delta, then shows its details. */
class AnswerView {
  /** @param {'websocket' | 'sse' | 'history'} transport */
  constructor(transport) {
    const { article, text } = appendTurn('assistant', 'MangaAssist');
    this.article = article;
    this.text = text;
    text.classList.add('answer-text');
    article.classList.add('answer');
    article.dataset.transport = transport;
    article.dataset.state = 'pending';
    this.content = '';
    scrollToEnd();
  }

  /** @param {string} delta */
  append(delta) {
    if (delta === '') return;
    // Follow the answer only when the reader is already at the end (never pull them away from reading).
    const atEnd = nearEnd();
    this.content += delta;
    this.text.textContent = this.content;
    this.text.lang = languageOf(this.content);
    this.article.dataset.state = 'streaming';
    if (atEnd) scrollToEnd();
  }

  /** @param {string | undefined} requestId */
  started(requestId) {
    if (requestId) this.article.dataset.requestId = requestId;
  }

  /** @param {AnswerDetails} details */
  complete(details) {
    this.article.dataset.state = 'complete';
    this.article.dataset.model = details.model;
    this.article.dataset.cached = String(details.cached);
    this.article.dataset.degraded = String(details.degraded);
    const list = document.createElement('dl');
    list.className = 'answer-details';
    const usage = details.usage;
    const cacheRead = usage.cache_read_input_tokens ?? 0;
    addDetail(list, 'model', details.model, 'detail-model');
    if (details.region) addDetail(list, 'region', details.region, 'detail-region');
    addDetail(
      list,
      'tokens in/out',
      `${usage.input_tokens} / ${usage.output_tokens}${cacheRead > 0 ? ` (+${cacheRead} cache read)` : ''}`,
      'detail-tokens',
    );
    addDetail(list, 'cost', formatCost(details.cost_usd), 'detail-cost');
    addDetail(list, 'latency', formatMs(details.latency_ms), 'detail-latency');
    addDetail(list, 'TTFT', formatMs(details.ttft_ms), 'detail-ttft');
    const badges = document.createElement('div');
    badges.className = 'detail-badges';
    if (details.cached) badges.append(badge('キャッシュ / cache', 'badge-cached'));
    if (details.degraded) badges.append(badge('代替応答 / fallback', 'badge-degraded'));
    if (!details.cached && !details.degraded) badges.append(badge('生成 / fresh', 'badge-fresh'));
    if (details.stop_reason === 'max_tokens') badges.append(badge('途中まで / truncated', 'badge-truncated'));
    // A degraded answer is never kept, and says so already; any other unsaved turn is news.
    if (details.stored === false && !details.degraded) {
      badges.append(badge('履歴に未保存 / not in history', 'badge-unsaved'));
    }
    list.append(badges);
    this.article.append(list);
    if (details.citations?.length) this.article.append(citationCards(details.citations));
    scrollToEnd();
  }

  /** @param {string} message */
  fail(message) {
    this.article.dataset.state = 'error';
    const note = document.createElement('p');
    note.className = 'answer-failure';
    note.append(badge('エラー / error', 'badge-error'), ` ${message}`);
    this.article.append(note);
    scrollToEnd();
  }
}

/**
 * The catalog products an answer is grounded in, as cards under it: title, price, ISBN, stock.
 * @param {Citation[]} citations
 */
function citationCards(citations) {
  const cards = document.createElement('ul');
  cards.className = 'citations';
  cards.setAttribute('aria-label', 'カタログの出典 / catalog sources');
  for (const citation of citations) {
    const card = document.createElement('li');
    card.className = 'citation-card';
    card.dataset.productId = citation.product_id;
    const title = document.createElement('span');
    title.className = 'citation-title';
    title.lang = 'ja';
    title.textContent = citation.title;
    const english = document.createElement('span');
    english.className = 'citation-title-en';
    english.lang = 'en';
    english.textContent = citation.title_en;
    const facts = document.createElement('span');
    facts.className = 'citation-facts';
    facts.textContent = `¥${citation.price_jpy.toLocaleString('ja-JP')} · ISBN ${citation.isbn}`;
    card.append(
      title,
      english,
      facts,
      citation.in_stock
        ? badge('在庫あり / in stock', 'badge-fresh')
        : badge('品切れ / sold out', 'badge-degraded'),
    );
    cards.append(card);
  }
  return cards;
}

/**
 * @param {HTMLElement} list
 * @param {string} term
 * @param {string} value
 * @param {string} className
 */
function addDetail(list, term, value, className) {
  const group = document.createElement('div');
  group.className = `detail ${className}`;
  const dt = document.createElement('dt');
  dt.lang = 'en';
  dt.textContent = term;
  const dd = document.createElement('dd');
  dd.textContent = value;
  group.append(dt, dd);
  list.append(group);
}

/**
 * @param {string} text
 * @param {string} className
 */
function badge(text, className) {
  const span = document.createElement('span');
  span.className = `badge ${className}`;
  span.textContent = text;
  return span;
}

/** @param {{ role: string, content: string }[]} turns */
function renderHistory(turns) {
  resetTranscript();
  for (const turn of turns) {
    if (turn.role === 'user') addUserTurn(turn.content);
    else {
      const view = new AnswerView('history');
      view.append(turn.content);
      view.article.dataset.state = 'complete';
    }
  }
}

function resetTranscript() {
  transcript.replaceChildren(emptyHint);
}

// ---------------------------------------------------------------------------------------------
// Settings

function currentKey() {
  const key = state.keys[Number(tenantSelect.value)];
  if (!key) throw new Error('No API key: is the local server running? / API キーがありません。');
  return key.key;
}

function currentTransport() {
  const checked = Array.from(transportRadios).find((radio) => radio.checked);
  return checked?.value === 'sse' ? 'sse' : 'websocket';
}

/** @param {string} message */
function answerLanguage(message) {
  const chosen = languageSelect.value;
  return chosen === 'ja' || chosen === 'en' ? chosen : languageOf(message);
}

async function loadKeys() {
  setStatus('API キーを読み込んでいます… / Loading API keys…');
  const response = await fetch('/_local/api-keys', { headers: { accept: 'application/json' } });
  if (!response.ok) throw await apiError(response);
  const body = await response.json();
  /** @type {ApiKey[]} */
  const keys = Array.isArray(body?.keys)
    ? body.keys.filter(
        (/** @type {unknown} */ entry) =>
          typeof entry === 'object' &&
          entry !== null &&
          typeof (/** @type {ApiKey} */ (entry).tenant) === 'string' &&
          typeof (/** @type {ApiKey} */ (entry).key) === 'string',
      )
    : [];
  if (keys.length === 0) throw new Error('The local server lists no API keys. / API キーがありません。');
  state.keys = keys;
  tenantSelect.replaceChildren(
    ...keys.map((entry, index) => {
      const option = document.createElement('option');
      option.value = String(index);
      option.textContent = entry.tenant;
      return option;
    }),
  );
  tenantSelect.value = '0';
  state.ready = true;
  main.dataset.ready = 'true';
  setBusy(false);
  setStatus('準備完了 / Ready');
}

// ---------------------------------------------------------------------------------------------
// WebSocket transport

/** @type {WebSocket | undefined} */
let socket;
/** @type {Promise<WebSocket> | undefined} */
let connecting;
/** @type {SocketStream | undefined} */
let activeStream;

/** The open socket, connecting (with a fresh single-use ticket) when there is none. */
function connectSocket() {
  if (socket && socket.readyState === WebSocket.OPEN) return Promise.resolve(socket);
  connecting ??= openSocket().finally(() => {
    connecting = undefined;
  });
  return connecting;
}

async function openSocket() {
  setStatus('接続しています… / Connecting…');
  const response = await fetch('/v1/ws-tickets', {
    method: 'POST',
    headers: { 'x-api-key': currentKey(), accept: 'application/json' },
  });
  if (!response.ok) throw await apiError(response);
  const { ticket } = await response.json();
  if (typeof ticket !== 'string') throw new Error('The ticket answer has no ticket.');
  const url = new URL('/ws', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('ticket', ticket);
  const opened = new WebSocket(url);
  await new Promise((resolve, reject) => {
    opened.addEventListener('open', resolve, { once: true });
    opened.addEventListener('close', () => reject(new Error('The WebSocket connection was refused.')), {
      once: true,
    });
  });
  opened.addEventListener('message', (event) => onSocketMessage(opened, event));
  opened.addEventListener('close', () => onSocketClose(opened));
  socket = opened;
  setStatus('接続しました / Connected (WebSocket)');
  return opened;
}

/** Closes the socket on purpose (no resume). */
function dropSocket() {
  const current = socket;
  socket = undefined;
  current?.close(1000, 'client closing');
}

/**
 * @param {WebSocket} source
 * @param {MessageEvent} event
 */
function onSocketMessage(source, event) {
  if (source !== socket) return;
  /** @type {any} */
  let frame;
  try {
    frame = JSON.parse(String(event.data));
  } catch {
    return;
  }
  const stream = activeStream;
  const ours = stream !== undefined && frame.stream_id !== undefined && frame.stream_id === stream.streamId;
  switch (frame.type) {
    case 'start':
      if (stream && stream.streamId === undefined) {
        stream.streamId = frame.stream_id;
        stream.lastSeq = frame.seq;
        stream.attempts = 0;
        stream.watchdog.poke();
        adoptSession(frame.session_id);
        stream.answer.started(frame.request_id);
      }
      break;
    case 'delta':
      if (stream && ours && frame.seq > stream.lastSeq) {
        stream.lastSeq = frame.seq;
        stream.attempts = 0;
        stream.watchdog.poke();
        stream.answer.append(String(frame.text));
      }
      break;
    case 'complete':
      if (stream && ours && frame.seq > stream.lastSeq) {
        stream.lastSeq = frame.seq;
        adoptSession(frame.session_id);
        stream.answer.complete(frame);
        stream.completion.finish();
      }
      break;
    case 'error':
      if (stream && (frame.stream_id === undefined || ours)) {
        stream.completion.fail(new Error(`${frame.message} (${frame.code})`));
      } else {
        showError(`${frame.message} (${frame.code})`);
      }
      break;
    case 'history':
      if (!stream && Array.isArray(frame.turns)) renderHistory(frame.turns);
      break;
    case 'cleared':
      setStatus('サーバーの会話履歴を消去しました / Conversation cleared');
      break;
    default:
      break;
  }
}

/** @param {WebSocket} source */
function onSocketClose(source) {
  if (source !== socket) return;
  socket = undefined;
  const stream = activeStream;
  if (!stream) {
    setStatus('切断されました（次の送信で再接続します） / Disconnected (reconnects on the next message)');
    return;
  }
  if (stream.streamId === undefined) {
    // Without a stream id there is nothing to resume, and re-sending could answer twice.
    stream.completion.fail(new Error('The connection closed before the answer started; please send again.'));
    return;
  }
  void resume(stream);
}

/**
 * Reconnects with a new ticket and asks the server to replay the stream after the last seq seen.
 * @param {SocketStream} stream
 */
async function resume(stream) {
  while (activeStream === stream) {
    stream.attempts += 1;
    if (stream.attempts > maxResumeAttempts) {
      stream.completion.fail(new Error('The connection was lost and could not be resumed.'));
      return;
    }
    setStatus(`再接続しています… / Reconnecting… (${stream.attempts}/${maxResumeAttempts})`);
    await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (stream.attempts - 1)));
    if (activeStream !== stream) return;
    try {
      const opened = await connectSocket();
      sendResume(stream, opened);
      return;
    } catch {
      // Try again after a longer pause.
    }
  }
}

/**
 * Asks for the frames after the last one seen, and again whenever a second passes without a new
 * one: a replay only holds what the server had logged, and duplicates are dropped by `seq`.
 * @param {SocketStream} stream
 * @param {WebSocket} opened
 */
function sendResume(stream, opened) {
  if (activeStream !== stream || socket !== opened || opened.readyState !== WebSocket.OPEN) return;
  opened.send(
    JSON.stringify({ action: 'resume', data: { streamId: stream.streamId, lastSeq: stream.lastSeq } }),
  );
  setStatus('再接続しました / Reconnected, resuming the answer');
  watchResume(stream, opened, stream.lastSeq);
}

/**
 * @param {SocketStream} stream
 * @param {WebSocket} opened
 * @param {number} seen the last seq when the watch started
 */
function watchResume(stream, opened, seen) {
  clearTimeout(stream.resumePoll);
  stream.resumePoll = setTimeout(() => {
    if (activeStream !== stream) return;
    if (stream.lastSeq === seen) sendResume(stream, opened);
    else watchResume(stream, opened, stream.lastSeq);
  }, resumePollMs);
}

/**
 * @param {string} message
 * @param {AnswerView} answer
 */
async function sendOverWebSocket(message, answer) {
  const opened = await connectSocket();
  const completion = createCompletion();
  /** @type {SocketStream} */
  const stream = {
    answer,
    streamId: undefined,
    lastSeq: -1,
    attempts: 0,
    completion,
    watchdog: new Watchdog(() => completion.fail(new Error('No answer arrived in time.'))),
    resumePoll: undefined,
  };
  activeStream = stream;
  try {
    const sessionId = state.sessionId && uuidV4.test(state.sessionId) ? state.sessionId : undefined;
    opened.send(
      JSON.stringify({
        action: 'sendMessage',
        data: {
          message,
          ...(sessionId ? { sessionId } : {}),
          preferredLanguage: answerLanguage(message),
          modelPreference: modelSelect.value,
        },
      }),
    );
    await completion.done;
  } finally {
    stream.watchdog.stop();
    clearTimeout(stream.resumePoll);
    activeStream = undefined;
  }
}

/** @param {string} sessionId */
async function clearServerSession(sessionId) {
  if (!uuidV4.test(sessionId)) return;
  try {
    const opened = await connectSocket();
    opened.send(JSON.stringify({ action: 'clearSession', data: { sessionId } }));
  } catch (error) {
    setStatus(`サーバーの履歴は消去できませんでした / Could not clear on the server: ${messageOf(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// SSE transport

/**
 * A Server-Sent Events parser (the WHATWG event-stream format, `data` fields only): feed it
 * decoded text as it arrives; it calls `onData` with each event's joined data.
 * @param {(data: string) => void} onData
 */
function createSseParser(onData) {
  let buffer = '';
  /** @type {string[]} */
  let data = [];
  /** @param {string} line */
  const onLine = (line) => {
    if (line === '') {
      if (data.length > 0) onData(data.join('\n'));
      data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return;
    const value = colon === -1 ? '' : line.slice(colon + 1);
    data.push(value.startsWith(' ') ? value.slice(1) : value);
  };
  return {
    /** @param {string} chunk */
    push(chunk) {
      buffer += chunk;
      // A trailing CR may be the first half of a CRLF: keep it for the next chunk.
      const end = buffer.endsWith('\r') ? buffer.length - 1 : buffer.length;
      const lines = buffer.slice(0, end).split(/\r\n|\r|\n/);
      buffer = (lines.pop() ?? '') + buffer.slice(end);
      for (const line of lines) onLine(line);
    },
  };
}

/**
 * @param {string} message
 * @param {AnswerView} answer
 */
async function sendOverSse(message, answer) {
  // Without a session id the SSE door is stateless, so the page starts one for the conversation.
  if (!state.sessionId) adoptSession(newSessionId());
  const language = languageSelect.value;
  const controller = new AbortController();
  const watchdog = new Watchdog(() => controller.abort(new Error('No answer arrived in time.')));
  try {
    const response = await fetch('/v1/chat/stream', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        'x-api-key': currentKey(),
      },
      body: JSON.stringify({
        messages: [{ role: 'user', content: message }],
        session_id: state.sessionId,
        model: modelSelect.value,
        ...(language === 'en' ? { system: 'Answer in English.' } : {}),
        ...(language === 'ja' ? { system: '日本語で回答してください。' } : {}),
      }),
      signal: controller.signal,
    });
    if (!response.ok || !response.body) throw await apiError(response);
    /** @type {AnswerDetails | undefined} */
    let details;
    /** @type {Error | undefined} */
    let failure;
    let done = false;
    const parser = createSseParser((data) => {
      if (data === '[DONE]') {
        done = true;
        return;
      }
      /** @type {any} */
      let event;
      try {
        event = JSON.parse(data);
      } catch {
        return;
      }
      if (event?.type === 'usage') details = event;
      else if (event?.type === 'error') failure = new Error(`${event.message} (${event.code})`);
      else if (typeof event?.text === 'string') answer.append(event.text);
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    while (!done) {
      const { value, done: ended } = await reader.read();
      if (ended) break;
      watchdog.poke();
      parser.push(value);
    }
    await reader.cancel().catch(() => {});
    if (failure) throw failure;
    if (!done) throw new Error('The stream ended before [DONE].');
    if (!details) throw new Error('The stream ended without its usage event.');
    adoptSession(details.session_id);
    answer.complete(details);
  } catch (error) {
    throw controller.signal.aborted ? (controller.signal.reason ?? error) : error;
  } finally {
    watchdog.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Wiring

async function send() {
  const message = messageInput.value.trim();
  if (message === '' || state.busy || !state.ready) return;
  clearErrors();
  addUserTurn(message);
  messageInput.value = '';
  const transport = currentTransport();
  const answer = new AnswerView(transport);
  setBusy(true);
  try {
    if (transport === 'sse') await sendOverSse(message, answer);
    else await sendOverWebSocket(message, answer);
    setStatus('準備完了 / Ready');
  } catch (error) {
    answer.fail(messageOf(error));
    showError(`応答を受け取れませんでした / The answer failed: ${messageOf(error)}`);
    setStatus('');
  } finally {
    setBusy(false);
    messageInput.focus();
  }
}

async function newConversation() {
  if (state.busy) return;
  const previous = state.sessionId;
  state.sessionId = undefined;
  transcript.dataset.sessionId = '';
  resetTranscript();
  clearErrors();
  setStatus('新しい会話を始めました / New conversation');
  messageInput.focus();
  if (previous) await clearServerSession(previous);
}

composer.addEventListener('submit', (event) => {
  event.preventDefault();
  void send();
});

messageInput.addEventListener('keydown', (event) => {
  // Enter sends, Shift+Enter is a newline; Enter while an IME is composing (Japanese input) only
  // confirms the conversion (keyCode 229 covers browsers that end composition first).
  if (event.key !== 'Enter' || event.shiftKey || event.isComposing || event.keyCode === 229) return;
  event.preventDefault();
  if (!state.busy && state.ready) composer.requestSubmit();
});

newConversationButton.addEventListener('click', () => {
  void newConversation();
});

tenantSelect.addEventListener('change', () => {
  // Sessions and tickets belong to a tenant: a new tenant starts a new conversation on a new socket.
  dropSocket();
  state.sessionId = undefined;
  transcript.dataset.sessionId = '';
  resetTranscript();
  setStatus(`テナント / Tenant: ${state.keys[Number(tenantSelect.value)]?.tenant ?? ''}`);
});

loadKeys().catch((error) => {
  showError(`初期化に失敗しました / Could not start: ${messageOf(error)}`);
  setStatus('');
});
