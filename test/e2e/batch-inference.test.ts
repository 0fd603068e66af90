// Bedrock batch inference through `pnpm dev`, as the platform's own adapter sees it: a JSONL file
// of prompts in the local documents bucket, a job submitted to the Bedrock emulator with the real
// `@aws-sdk/client-bedrock`, its answers written back beside the input, and each state change on
// the local bus's default bus as Bedrock's "Batch Inference Job State Change".
import { BedrockClient } from '@aws-sdk/client-bedrock';
import { isTerminalBatchStatus } from '@mangaassist/fm-gateway/batch';
import {
  BedrockBatchInference,
  batchInputLine,
  parseBatchOutput,
} from '@mangaassist/fm-gateway/bedrock-batch';
import { localDocumentsBucket } from '@mangaassist/local';
import { describe, expect, it } from 'vitest';
import { useDevServer } from './support.js';

const dev = useDevServer();

const modelId = 'jp.anthropic.claude-haiku-4-5-20251001-v1:0';
const titles = ['チェンソーマン 20巻', 'ONE PIECE 108', '葬送のフリーレン 14'];

interface ListedEvent {
  readonly source: string;
  readonly 'detail-type': string;
  readonly detail: { readonly batchJobArn?: string; readonly status?: string };
}

async function batchClient() {
  const endpoints = (await (await fetch(`${dev().url}/_local/endpoints`)).json()) as {
    bedrock: {
      url: string;
      batch_bucket: string;
      credentials: { accessKeyId: string; secretAccessKey: string };
    };
  };
  expect(endpoints.bedrock.batch_bucket).toBe(localDocumentsBucket);
  return new BedrockClient({
    region: 'ap-northeast-1',
    endpoint: endpoints.bedrock.url,
    credentials: endpoints.bedrock.credentials,
  });
}

describe('Bedrock batch inference on pnpm dev', () => {
  it('answers every record of a JSONL file in the documents bucket and announces each state change', async () => {
    const input = titles
      .map((title, index) =>
        batchInputLine(`product-${index}`, {
          modelId,
          messages: [{ role: 'user', content: `Describe ${title} in one sentence.` }],
          maxTokens: 100,
        }),
      )
      .join('\n');
    await dev().server.documents.put('batch/e2e/input.jsonl', `${input}\n`);
    const client = await batchClient();
    const batch = new BedrockBatchInference(client);
    try {
      const request = {
        jobName: 'e2e-catalog-refresh',
        modelId,
        inputUri: `s3://${localDocumentsBucket}/batch/e2e/input.jsonl`,
        outputUri: `s3://${localDocumentsBucket}/batch/e2e/out/`,
        roleArn: 'arn:aws:iam::000000000000:role/mangaassist-local-batch',
        clientRequestToken: 'e2e-catalog-refresh-1',
      };
      const jobArn = await batch.submit(request);
      // The same token finds the same job: a retried submission starts nothing.
      await expect(batch.submit(request)).resolves.toBe(jobArn);

      await expect
        .poll(async () => isTerminalBatchStatus((await batch.describe(jobArn)).status), {
          timeout: 20_000,
          interval: 50,
          message: `job ${jobArn} never ended`,
        })
        .toBe(true);
      const job = await batch.describe(jobArn);
      expect(job).toMatchObject({ status: 'Completed', records: { total: 3, succeeded: 3, failed: 0 } });

      const outKey = job.output.file?.replace(`s3://${localDocumentsBucket}/`, '') ?? '';
      const written = await dev().server.documents.get(outKey);
      const results = parseBatchOutput(new TextDecoder().decode(written ?? new Uint8Array()));
      expect(results.map((result) => result.recordId).sort()).toEqual([
        'product-0',
        'product-1',
        'product-2',
      ]);
      for (const result of results) expect('text' in result && result.text.length > 0).toBe(true);

      const { events } = (await (await fetch(`${dev().url}/_local/events`)).json()) as {
        events: ListedEvent[];
      };
      const changes = events
        .filter(
          (event) =>
            event.source === 'aws.bedrock' &&
            event['detail-type'] === 'Batch Inference Job State Change' &&
            event.detail.batchJobArn === jobArn,
        )
        .map((event) => event.detail.status)
        .reverse();
      expect(changes[0]).toBe('Submitted');
      expect(changes.at(-1)).toBe('Completed');
    } finally {
      client.destroy();
    }
  });
});
