// Asynchronous document jobs through `pnpm dev`, as a client sees them: a presigned upload of a
// 300 KB Japanese document, a summarize job that runs map-reduce on the local state machine (the
// deployed ASL) with visible progress, cancellation, Idempotency-Key retries, and refusals.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JobDocument } from '@mangaassist/contracts';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { useDevServer } from './support.js';

// Callbacks retry on the deployed schedule shrunk ~33,000 times (30 s → 1 ms … 8 h → 0.9 s).
const dev = useDevServer(() => ({ callbackRetryScale: 0.00003 }));

/** A callback receiver on loopback: answers `status` and keeps what it got. */
async function receiver(status: () => number) {
  const received: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(status()).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/jobs`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Generous: a wait only bounds a hung test, it asserts nothing about speed. */
const settleMs = 60_000;

afterEach(async () => {
  await dev().control('DELETE', '/_local/bedrock/faults');
});

function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${dev().url}${path}`, {
    method,
    headers: { 'x-api-key': dev().apiKey, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function job(id: string): Promise<JobDocument> {
  const response = await api('GET', `/v1/jobs/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as JobDocument;
}

/** A Japanese novel-like text of about `bytes` UTF-8 bytes, in paragraphs of sentences. */
function japaneseDocument(bytes: number): string {
  const sentences = [
    'ルフィは麦わら帽子をかぶり、海賊王になると宣言した。',
    '仲間たちは嵐の中で帆をたたみ、次の島を目指した。',
    '「肉が食いたい！」と船長は叫び、コックは笑って鍋を火にかけた。',
    '古い地図には、誰も戻らなかった海域が赤い印で描かれていた。',
  ];
  const paragraphs: string[] = [];
  let size = 0;
  for (let index = 0; size < bytes; index += 1) {
    const paragraph = `第${index + 1}節。${sentences.join('')}${sentences.slice(0, (index % 4) + 1).join('')}`;
    paragraphs.push(paragraph);
    size += Buffer.byteLength(paragraph, 'utf8') + 2;
  }
  return paragraphs.join('\n\n');
}

async function upload(text: string): Promise<string> {
  const created = await api('POST', '/v1/uploads');
  expect(created.status).toBe(201);
  const { upload_id, url, method } = (await created.json()) as {
    upload_id: string;
    url: string;
    method: string;
  };
  const put = await fetch(url, { method, body: text });
  expect(put.status, await put.text()).toBe(200);
  return upload_id;
}

describe('document jobs on pnpm dev', () => {
  it('summarizes a 300 KB Japanese document through map-reduce, with visible progress', async () => {
    const text = japaneseDocument(300 * 1024);
    const uploadId = await upload(text);
    // A pause per answer, so that the progress between the first chunk and the last is seen.
    await dev().control('POST', '/_local/bedrock/faults', { ttftMs: 40 });
    const created = await api('POST', '/v1/jobs', { type: 'summarize', document: { upload_id: uploadId } });
    expect(created.status).toBe(202);
    const accepted = (await created.json()) as { job_id: string; status: string; status_url: string };
    expect(accepted.status).toBe('queued');
    expect(created.headers.get('location')).toBe(accepted.status_url);

    const seen: JobDocument[] = [];
    const done = await vi.waitFor(
      async () => {
        const current = await job(accepted.job_id);
        seen.push(current);
        if (current.status !== 'succeeded') throw new Error(`the job is ${current.status}`);
        return current;
      },
      { timeout: settleMs, interval: 25 },
    );
    const partway = seen.filter(
      (each) =>
        each.status === 'running' &&
        each.progress.chunks_done > 0 &&
        each.progress.chunks_done < each.progress.chunks_total,
    );
    expect(partway.length, 'a poll saw the job partway').toBeGreaterThan(0);
    // 300 KB of Japanese is ~100,000 characters: many first-round chunks, then a combining round.
    expect(done.progress.chunks_total).toBeGreaterThan(10);
    expect(done.progress.chunks_done).toBe(done.progress.chunks_total);
    expect(done.result?.text).toContain('These are summaries of consecutive parts of one document');
    expect(done.result?.usage.input_tokens).toBeGreaterThan(0);
    expect(done.result?.cost_usd).toBeGreaterThan(0);

    // The job is settled by Finish, the execution's last state, which ends just after it.
    const execution = await vi.waitFor(
      async () => {
        const listing = (await (await fetch(`${dev().url}/_local/executions`)).json()) as {
          executions: { name: string; status: string; events: { state?: string }[] }[];
        };
        const found = listing.executions.find((each) => each.name === accepted.job_id);
        if (found?.status !== 'SUCCEEDED') throw new Error(`the execution is ${found?.status}`);
        return found;
      },
      { timeout: settleMs, interval: 25 },
    );
    const states = new Set(execution?.events.map((event) => event.state));
    for (const state of ['Prepare', 'ProcessChunk', 'Reduce', 'Finish']) expect(states).toContain(state);
  });

  it('cancels a running job: it ends cancelled and its execution stops', async () => {
    await dev().control('POST', '/_local/bedrock/faults', { ttftMs: 1500 });
    const created = await api('POST', '/v1/jobs', {
      type: 'analyze',
      document: { text: japaneseDocument(40_000) },
    });
    const { job_id } = (await created.json()) as { job_id: string };
    await vi.waitFor(
      async () => {
        const current = await job(job_id);
        if (current.status !== 'running') throw new Error(`the job is ${current.status}`);
      },
      { timeout: settleMs, interval: 25 },
    );
    const cancelled = await api('DELETE', `/v1/jobs/${job_id}`);
    expect(cancelled.status).toBe(202);
    expect(((await cancelled.json()) as JobDocument).status).toBe('cancelled');
    await vi.waitFor(
      async () => {
        const listing = (await (await fetch(`${dev().url}/_local/executions`)).json()) as {
          executions: { name: string; status: string }[];
        };
        const status = listing.executions.find((each) => each.name === job_id)?.status;
        if (status !== 'ABORTED') throw new Error(`the execution is ${status}`);
      },
      { timeout: settleMs, interval: 50 },
    );
    expect((await job(job_id)).status).toBe('cancelled');
    const again = await api('DELETE', `/v1/jobs/${job_id}`);
    expect(again.status).toBe(202);
  });

  it('returns the same job for an Idempotency-Key retry, and 409 for another body', async () => {
    const headers = { 'idempotency-key': `retry-${Date.now()}` };
    const body = {
      type: 'extract',
      document: { text: 'ワンピース第107巻、ISBN 978-4-08-883712-2、税込528円。' },
    };
    const first = await api('POST', '/v1/jobs', body, headers);
    const second = await api('POST', '/v1/jobs', body, headers);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    const firstId = ((await first.json()) as { job_id: string }).job_id;
    expect(((await second.json()) as { job_id: string }).job_id).toBe(firstId);
    const conflicting = await api('POST', '/v1/jobs', { ...body, type: 'summarize' }, headers);
    expect(conflicting.status).toBe(409);
    await vi.waitFor(
      async () => {
        if ((await job(firstId)).status !== 'succeeded') throw new Error('the job has not finished');
      },
      { timeout: settleMs, interval: 25 },
    );
  });

  it('refuses bad input with a JSON reason and hides other tenants’ jobs', async () => {
    const noDocument = await api('POST', '/v1/jobs', { type: 'summarize' });
    expect(noDocument.status).toBe(400);
    expect(((await noDocument.json()) as { error: { code: string } }).error.code).toBe('validation_failed');
    const notJson = await api('POST', '/v1/jobs', 'x', { 'content-type': 'text/plain' });
    expect(notJson.status).toBe(415);
    const neverUploaded = await api('POST', '/v1/jobs', {
      type: 'summarize',
      document: { upload_id: 'upl_aaaaaaaaaaaaaaaaaaaaaaaaaa' },
    });
    expect(neverUploaded.status).toBe(422);
    const unknown = await api('GET', '/v1/jobs/job_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(unknown.status).toBe(404);
    const keys = (await (await fetch(`${dev().url}/_local/api-keys`)).json()) as { keys: { key: string }[] };
    const created = await api('POST', '/v1/jobs', { type: 'summarize', document: { text: '短い文。' } });
    const { job_id } = (await created.json()) as { job_id: string };
    const other = await fetch(`${dev().url}/v1/jobs/${job_id}`, {
      headers: { 'x-api-key': keys.keys[1]?.key ?? '' },
    });
    expect(other.status).toBe(404);
    const noKey = await fetch(`${dev().url}/v1/jobs/${job_id}`);
    expect(noKey.status).toBe(401);
  });

  it('refuses a tampered upload URL and a document over 20 MB, keeping nothing', async () => {
    const created = await api('POST', '/v1/uploads');
    const { url, upload_id } = (await created.json()) as { url: string; upload_id: string };
    const tampered = await fetch(url.replace(/signature=[0-9a-f]{4}/, 'signature=0000'), {
      method: 'PUT',
      body: 'x',
    });
    expect(tampered.status).toBe(403);
    const tooLarge = await fetch(url, { method: 'PUT', body: new Uint8Array(20 * 1024 * 1024 + 1) });
    expect(tooLarge.status).toBe(413);
    const job = await api('POST', '/v1/jobs', { type: 'summarize', document: { upload_id } });
    expect(job.status).toBe(422);
  });

  it('calls back with the job, signed as Standard Webhooks, and puts JobCompleted on the bus', async () => {
    const hook = await receiver(() => 204);
    try {
      const created = await api('POST', '/v1/jobs', {
        type: 'summarize',
        document: { text: '鬼滅の刃は家族を守る物語だ。' },
        callback_url: hook.url,
      });
      expect(created.status).toBe(202);
      const { job_id } = (await created.json()) as { job_id: string };
      await vi.waitFor(
        () => {
          if (hook.received.length === 0) throw new Error('no callback yet');
        },
        { timeout: settleMs, interval: 25 },
      );
      const secrets = (await (await fetch(`${dev().url}/_local/callback-secrets`)).json()) as Record<
        string,
        string[]
      >;
      const [delivery] = hook.received;
      const headers = Object.fromEntries(
        Object.entries(delivery?.headers ?? {}).map(([name, value]) => [name, String(value)]),
      );
      const tenantSecret = Object.values(secrets)[0]?.[0] ?? '';
      const verified = new Webhook(tenantSecret).verify(delivery?.body ?? '', headers) as JobDocument;
      expect(verified).toMatchObject({ job_id, status: 'succeeded', type: 'summarize' });
      expect(headers['webhook-id']).toBe(`msg_${job_id}_succeeded`);
      const events = (await (await fetch(`${dev().url}/_local/events`)).json()) as {
        events: { 'detail-type': string; detail: { job_id?: string } }[];
      };
      expect(events.events.find((event) => event.detail.job_id === job_id)?.['detail-type']).toBe(
        'JobCompleted',
      );
    } finally {
      await hook.close();
    }
  });

  it('retries a callback the receiver refuses, then dead-letters it where /_local/queues shows it', async () => {
    const hook = await receiver(() => 500);
    try {
      const created = await api('POST', '/v1/jobs', {
        type: 'extract',
        document: { text: 'ONE PIECE 第1巻 ISBN 978-4-08-872509-3' },
        callback_url: hook.url,
      });
      const { job_id } = (await created.json()) as { job_id: string };
      const letter = await vi.waitFor(
        async () => {
          const listing = (await (await fetch(`${dev().url}/_local/queues`)).json()) as {
            queues: { name: string; dead_letters: { body: string; receive_count: number }[] }[];
          };
          const queue = listing.queues.find((each) => each.name.endsWith('job-callbacks'));
          const found = queue?.dead_letters.find((each) => each.body.includes(job_id));
          if (!found) throw new Error('not dead-lettered yet');
          return found;
        },
        { timeout: settleMs, interval: 50 },
      );
      expect(letter.receive_count).toBe(13);
      expect(hook.received).toHaveLength(13);
      expect(new Set(hook.received.map((each) => each.headers['webhook-id']))).toEqual(
        new Set([`msg_${job_id}_succeeded`]),
      );
    } finally {
      await hook.close();
    }
  });

  it('refuses a callback URL that reaches a private address, even in pnpm dev', async () => {
    const created = await api('POST', '/v1/jobs', {
      type: 'summarize',
      document: { text: '短い文。' },
      callback_url: 'http://169.254.169.254/latest/meta-data',
    });
    expect(created.status).toBe(400);
  });

  it('takes an upload from a page of another origin, as the deployed bucket’s CORS rule does', async () => {
    const created = await api('POST', '/v1/uploads');
    const { url } = (await created.json()) as { url: string };
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: { origin: 'http://shop.example', 'access-control-request-method': 'PUT' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');
    const put = await fetch(url, {
      method: 'PUT',
      headers: { origin: 'http://shop.example' },
      body: '本文。',
    });
    expect(put.status).toBe(200);
    expect(put.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('fails a job whose document is not UTF-8, saying why', async () => {
    const created = await api('POST', '/v1/uploads');
    const { url, upload_id } = (await created.json()) as { url: string; upload_id: string };
    expect((await fetch(url, { method: 'PUT', body: new Uint8Array([0x82, 0xa0, 0x82, 0xa2]) })).status).toBe(
      200,
    );
    const accepted = await api('POST', '/v1/jobs', { type: 'summarize', document: { upload_id } });
    const { job_id } = (await accepted.json()) as { job_id: string };
    const failed = await vi.waitFor(
      async () => {
        const current = await job(job_id);
        if (current.status !== 'failed') throw new Error(`the job is ${current.status}`);
        return current;
      },
      { timeout: settleMs, interval: 25 },
    );
    expect(failed.error).toEqual({
      code: 'document_rejected',
      message: 'The document is not valid UTF-8 text.',
    });
  });
});
