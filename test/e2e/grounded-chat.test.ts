// pnpm dev with the sample catalog (as `pnpm dev` starts by default): the newcomer's question gets
// the catalog's price with a citation, on every chat door, and an invented price is corrected.
import { describe, expect, it } from 'vitest';
import { useDevServer } from './support.js';

const dev = useDevServer(() => ({ catalog: true }));

async function chat(content: string, path = '/v1/chat') {
  return fetch(`${dev().url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': dev().apiKey },
    body: JSON.stringify({ messages: [{ role: 'user', content }] }),
  });
}

describe('pnpm dev answering from the sample catalog', () => {
  it('answers 「ワンピースの最新刊はいくら？」 with the catalog’s price and cites the volume', async () => {
    const response = await chat('ワンピースの最新刊はいくら？');
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      text: string;
      citations: { product_id: string; price_jpy: number }[];
    };
    const [first] = body.citations;
    expect(first?.product_id).toBe('one-piece-110');
    expect(body.text).toContain(`¥${first?.price_jpy}`);
  });

  it('corrects a price the model invents and cites nothing for a book the store lacks', async () => {
    await dev().control('POST', '/_local/bedrock/scripts', {
      match: 'フリーレンの2巻',
      text: '葬送のフリーレン2巻は¥9,999です。ほかにご質問はありますか？',
    });
    const corrected = (await (await chat('フリーレンの2巻はいくら？')).json()) as {
      text: string;
      citations: { product_id: string; price_jpy: number }[];
    };
    const frieren2 = corrected.citations.find((citation) => citation.product_id === 'frieren-002');
    expect(corrected.text).toBe(
      `葬送のフリーレン2巻は¥${frieren2?.price_jpy}です。ほかにご質問はありますか？`,
    );

    const lacking = (await (await chat('ハリー・ポッターはありますか')).json()) as { citations: unknown[] };
    expect(lacking.citations).toEqual([]);
  });

  it('streams the same grounded text over SSE, with the citations in its usage event', async () => {
    const response = await chat('ワンピースの最新刊はいくら？', '/v1/chat/stream');
    expect(response.status).toBe(200);
    const events = (await response.text())
      .split('\n\n')
      .map((block) => block.replace(/^data: /u, ''))
      .filter((data) => data !== '' && data !== '[DONE]')
      .map(
        (data) => JSON.parse(data) as { text?: string; type?: string; citations?: { product_id: string }[] },
      );
    const text = events.flatMap((event) => (event.text === undefined ? [] : [event.text])).join('');
    const usage = events.find((event) => event.type === 'usage');
    expect(usage?.citations?.[0]?.product_id).toBe('one-piece-110');
    expect(text).toContain('カタログでは「ONE PIECE 110」は¥');
  });

  it('corrects an invented price in a stream before any of it reaches the client', async () => {
    await dev().control('POST', '/_local/bedrock/scripts', {
      match: 'チェンソーマンの3巻',
      text: 'チェンソーマン3巻は¥7,777です。ほかにご質問はありますか？',
    });
    const response = await chat('チェンソーマンの3巻はいくら？', '/v1/chat/stream');
    const body = await response.text();
    expect(body).not.toContain('7,777');
    const usage = body
      .split('\n\n')
      .map((block) => block.replace(/^data: /u, ''))
      .filter((data) => data.startsWith('{"type":"usage"'))
      .map((data) => JSON.parse(data) as { citations: { product_id: string; price_jpy: number }[] })[0];
    const cited = usage?.citations.find((citation) => citation.product_id === 'chainsaw-man-003');
    expect(body).toContain(`チェンソーマン3巻は¥${cited?.price_jpy}です。`);
  });
});
