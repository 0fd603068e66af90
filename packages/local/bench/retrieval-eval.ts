/**
 * `pnpm eval`: retrieval over the sample catalog, measured (issue 14).
 *
 * Starts the Bedrock emulator and indexes the sample catalog through the gateway's embeddings
 * (`EmbeddingGateway`, Cohere Embed Multilingual v3 on the emulator, which answers with its
 * deterministic hashing embedding; vectors cached in memory as in a warm Lambda), asks
 * every question of the gold set with each ranking (vector only, keyword only, hybrid) and prints
 * recall@5 and MRR, by kind for hybrid, with its misses. Then the hybrid search's latency over
 * 10,000 products (the catalog repeated under other ids), `EVAL_QUERIES` (2,000) questions, each
 * embedded through the gateway (the repeated questions from its cache).
 * Then the questions about books the store does not carry: none may name a product of its results.
 * Targets: hybrid recall@5 ≥ 0.9, search p99 ≤ 20 ms over 10,000 products, no product named for a
 * book not carried. Exits non-zero when one is missed.
 */
import {
  type CatalogProduct,
  CatalogSearch,
  evaluateRetrieval,
  goldSet,
  namedWithoutCarrying,
  notCarried,
  sampleCatalog,
} from '@mangaassist/retrieval';
import { localEmbedder } from '../src/dev-server/local-catalog.js';
import { startBedrockEmulator } from '../src/index.js';

const targets = { recallAt5: 0.9, p99Ms: 20 };
const queries = Number(process.env.EVAL_QUERIES ?? 2000);
const emulator = await startBedrockEmulator();
const { embedder, close: closeEmbedder } = localEmbedder(emulator.url);

const catalog = sampleCatalog();
const search = await CatalogSearch.build(catalog, embedder);
process.stdout.write(
  `\nRetrieval over the sample catalog (${catalog.length} products), ${goldSet.length} gold questions\n\n`,
);
process.stdout.write(`${'ranking'.padEnd(10)}${'recall@5'.padStart(10)}${'MRR'.padStart(8)}\n`);
let hybridRecall = 0;
for (const mode of ['vector', 'keyword', 'hybrid'] as const) {
  const scores = await evaluateRetrieval(search, goldSet, mode);
  process.stdout.write(
    `${mode.padEnd(10)}${scores.recallAt5.toFixed(3).padStart(10)}${scores.mrr.toFixed(3).padStart(8)}\n`,
  );
  if (mode !== 'hybrid') continue;
  hybridRecall = scores.recallAt5;
  process.stdout.write('\nhybrid by kind of question:\n');
  for (const [kind, { questions, recallAt5 }] of Object.entries(scores.byKind)) {
    process.stdout.write(
      `  ${kind.padEnd(10)}${String(questions).padStart(4)} questions, recall@5 ${recallAt5.toFixed(3)}\n`,
    );
  }
  const named = scores.results.filter((result) => result.named).length;
  process.stdout.write(`  the question names the product found: ${named} of ${scores.results.length}\n`);
  const misses = scores.results.filter((result) => result.rank === undefined || result.rank > 5);
  for (const miss of misses) {
    process.stdout.write(
      `  miss: ${miss.query.query} → ${miss.query.expected} (rank ${miss.rank ?? '>10'}; got ${miss.top.join(', ')})\n`,
    );
  }
}

const wronglyNamed = await namedWithoutCarrying(search, notCarried);
process.stdout.write(
  `\nQuestions about books the store does not carry: ${notCarried.length}, of which ${wronglyNamed.length} name a product in the results\n`,
);
for (const { question, named } of wronglyNamed) process.stdout.write(`  ${question} → ${named.join(', ')}\n`);

// Latency over 10,000 products: the sample catalog again and again, under other ids.
const large: CatalogProduct[] = [];
for (let copy = 0; large.length < 10_000; copy++) {
  for (const product of catalog) {
    if (large.length === 10_000) break;
    large.push(
      copy === 0
        ? product
        : { ...product, productId: `${product.productId}-${copy}`, seriesId: `${product.seriesId}-${copy}` },
    );
  }
}
const largeSearch = await CatalogSearch.build(large, embedder);
const latencies: number[] = [];
for (let index = 0; index < queries + 200; index++) {
  const question = goldSet[index % goldSet.length]?.query ?? '';
  const started = performance.now();
  await largeSearch.search(question, { topK: 5 });
  if (index >= 200) latencies.push(performance.now() - started);
}
latencies.sort((a, b) => a - b);
const quantile = (q: number) =>
  latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
const p99 = quantile(0.99);
process.stdout.write(
  `\nHybrid search over ${large.length} products (1,024 dimensions: an 8-bit scan, then exact cosines; the question embedded through the gateway), ${queries} questions: p50 ${quantile(0.5).toFixed(2)} ms, p99 ${p99.toFixed(2)} ms\n\n`,
);

const checks: [string, boolean][] = [
  [`hybrid recall@5 ${hybridRecall.toFixed(3)} ≥ ${targets.recallAt5}`, hybridRecall >= targets.recallAt5],
  [`search p99 ${p99.toFixed(2)} ms ≤ ${targets.p99Ms} ms over 10,000 products`, p99 <= targets.p99Ms],
  [
    `${wronglyNamed.length} questions about books not carried name a product, target 0`,
    wronglyNamed.length === 0,
  ],
];
for (const [label, ok] of checks) process.stdout.write(`${ok ? 'PASS' : 'MISS'}  ${label}\n`);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
closeEmbedder();
await emulator.close();
