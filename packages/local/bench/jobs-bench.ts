/**
 * `pnpm bench jobs`: document jobs on `pnpm dev` (the deployed ASL on the local state machine, the
 * local queues, the embedded DynamoDB, the local bucket), with the emulator adding no latency, so
 * the figures are the platform's own cost.
 *
 * - Throughput: 8 summarize jobs of a 1 MB Japanese document at once, end to end (upload, queue,
 *   prepare, map-reduce, finish): chunks per second over the wall time of the batch.
 * - Overhead per chunk: one chunk step (`process-chunk`: job read, checkpoint check, chunk read,
 *   budget, gateway call, answer write, progress) against the same gateway call alone, over the
 *   same chunks, in one process with in-memory stores (deployed, add the DynamoDB and S3 round
 *   trips: three reads and two writes per chunk).
 * Targets: every job succeeds; a chunk step adds ≤ 2 ms p50 to its gateway call.
 */
import { chatConfigSchema } from '@mangaassist/chat';
import { createChatCore } from '@mangaassist/chat/platform';
import type { JobDocument } from '@mangaassist/contracts';
import { chunkText, documentKeys, MemoryJobStore, makeJobSteps } from '@mangaassist/jobs';
import { MemoryDocumentStore } from '@mangaassist/jobs/testing';
import { startDevServer } from '../src/dev-server/dev-server.js';

const jobs = Number(process.env.BENCH_JOBS ?? 8);
const documentBytes = Number(process.env.BENCH_JOB_BYTES ?? 1024 * 1024);
const stepSamples = Number(process.env.BENCH_CHUNK_STEPS ?? 200);

function japaneseDocument(bytes: number): string {
  const sentence = '麦わらの一味は新しい島に着き、港の市場で古い海図と地元の伝説について話を聞いた。';
  const paragraphs: string[] = [];
  for (let size = 0, index = 0; size < bytes; index += 1) {
    const paragraph = `第${index + 1}節。${sentence.repeat(3 + (index % 5))}`;
    paragraphs.push(paragraph);
    size += Buffer.byteLength(paragraph, 'utf8') + 2;
  }
  return paragraphs.join('\n\n');
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const server = await startDevServer({ port: 0 });
const apiKey = server.apiKeys[0]?.key ?? '';
const headers = { 'x-api-key': apiKey, 'content-type': 'application/json' };
const text = japaneseDocument(documentBytes);
const failures: string[] = [];

// --- throughput through pnpm dev ---------------------------------------------------------------
const started = performance.now();
const ids = await Promise.all(
  Array.from({ length: jobs }, async () => {
    const upload = (await (await fetch(`${server.url}/v1/uploads`, { method: 'POST', headers })).json()) as {
      upload_id: string;
      url: string;
    };
    const put = await fetch(upload.url, { method: 'PUT', body: text });
    if (put.status !== 200) throw new Error(`upload answered ${put.status}`);
    const created = await fetch(`${server.url}/v1/jobs`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ type: 'summarize', document: { upload_id: upload.upload_id } }),
    });
    if (created.status !== 202) throw new Error(`POST /v1/jobs answered ${created.status}`);
    return ((await created.json()) as { job_id: string }).job_id;
  }),
);
const finished: JobDocument[] = [];
for (const id of ids) {
  for (;;) {
    const job = (await (await fetch(`${server.url}/v1/jobs/${id}`, { headers })).json()) as JobDocument;
    if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'cancelled') {
      finished.push(job);
      if (job.status !== 'succeeded') failures.push(`${id} ${job.status}: ${job.error?.message ?? ''}`);
      break;
    }
    if (performance.now() - started > 300_000) throw new Error(`job ${id} did not finish in 5 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
const seconds = (performance.now() - started) / 1000;
const chunks = finished.reduce((sum, job) => sum + job.progress.chunks_total, 0);
await server.close();

// --- overhead per chunk, in process -------------------------------------------------------------
const emulatorServer = await startDevServer({ port: 0 });
const config = chatConfigSchema.parse({ bedrockEndpoint: emulatorServer.emulator.url });
const core = createChatCore(config, {
  region: 'ap-northeast-1',
  credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
});
const store = new MemoryJobStore();
const documents = new MemoryDocumentStore();
const steps = makeJobSteps({ jobs: store, documents, model: core.gateway, catalog: core.catalog });
const jobId = 'job_benchmarkjobabcdefghijklmn';
const pieces = chunkText(japaneseDocument(stepSamples * 6000 * 3), { maxChars: 6000 }).slice(0, stepSamples);
await store.create({
  jobId,
  tenantId: 'bench',
  type: 'summarize',
  status: 'running',
  priority: 'normal',
  model: 'balanced',
  documentKey: documentKeys.jobDocument(jobId),
  chunksDone: 0,
  chunksTotal: pieces.length,
  createdAt: new Date().toISOString(),
  updatedAt: new Date().toISOString(),
});
for (const [index, piece] of pieces.entries())
  await documents.put(documentKeys.chunk(jobId, 0, index), piece);
const stepMs: number[] = [];
const callMs: number[] = [];
for (const [index, piece] of pieces.entries()) {
  // The same call alone (another request id and tenant, so neither hits the other's cache entry).
  let begin = performance.now();
  await core.gateway.complete(
    {
      tenantId: 'bench-direct',
      model: 'claude-sonnet-4-5',
      messages: [{ role: 'user', content: piece }],
      maxTokens: 1024,
      useCache: false,
    },
    { deadlineMs: 120_000 },
  );
  callMs.push(performance.now() - begin);
  begin = performance.now();
  await steps.processChunk(
    { step: 'process-chunk', job_id: jobId, round: 0, index, count: pieces.length, rung: 0 },
    undefined,
  );
  stepMs.push(performance.now() - begin);
}
await core.close();
await emulatorServer.close();
stepMs.sort((a, b) => a - b);
callMs.sort((a, b) => a - b);
const addedP50 = percentile(stepMs, 50) - percentile(callMs, 50);

process.stdout.write(
  `\nDocument jobs — ${jobs} summarize jobs of ${(documentBytes / 1024).toFixed(0)} KB Japanese at once, node ${process.version}\n\n` +
    `  jobs succeeded        ${finished.length - failures.length} of ${jobs}\n` +
    `  chunks processed      ${chunks} (map rounds and reduce rounds)\n` +
    `  wall time             ${seconds.toFixed(2)} s\n` +
    `  throughput            ${(chunks / seconds).toFixed(0)} chunks/s\n\n` +
    `  chunk step p50 / p99  ${percentile(stepMs, 50).toFixed(2)} / ${percentile(stepMs, 99).toFixed(2)} ms\n` +
    `  gateway call p50/p99  ${percentile(callMs, 50).toFixed(2)} / ${percentile(callMs, 99).toFixed(2)} ms\n` +
    `  added per chunk p50   ${addedP50.toFixed(2)} ms (${pieces.length} chunks of 6,000 characters)\n`,
);
const checks: [string, boolean][] = [
  [`every job succeeded${failures.length ? `: ${failures.join('; ')}` : ''}`, failures.length === 0],
  [`a chunk step adds ${addedP50.toFixed(2)} ms p50 ≤ 2 ms to its gateway call`, addedP50 <= 2],
];
process.stdout.write('\n');
for (const [label, ok] of checks) process.stdout.write(`  ${ok ? 'ok' : '!!'}  ${label}\n`);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
