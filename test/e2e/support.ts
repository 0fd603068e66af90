// What every end-to-end test file needs: its own `pnpm dev` on a free port, the first dev
// tenant's API key and the webhook secrets as `/_local` lists them, and the `/_local` controls.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { WebhookSecrets } from '@mangaassist/contracts';
import { type DevServer, type DevServerOptions, startDevServer } from '@mangaassist/local';
import { afterAll, beforeAll, expect } from 'vitest';

/** A running `pnpm dev` and what a test calls it with. */
export interface LocalDev {
  readonly server: DevServer;
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The first dev tenant's key (`GET /_local/api-keys`), for `x-api-key`. */
  readonly apiKey: string;
  /** The signing secrets of each webhook source (`GET /_local/webhook-secrets`). */
  readonly secrets: WebhookSecrets;
  /** Sends a `/_local` control request (JSON body, if any) and expects it to succeed. */
  control(method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<void>;
}

/**
 * Starts `pnpm dev` before the file's tests (`beforeAll`) and closes it after them (`afterAll`),
 * with the `options` the function gives when it starts (hooks registered before run first).
 * Returns a getter, to be called inside tests and hooks only: it throws before the server is up.
 *
 * @example const dev = useDevServer(); … await fetch(`${dev().url}/v1/chat`, …)
 */
export function useDevServer(options: () => Omit<DevServerOptions, 'port'> = () => ({})): () => LocalDev {
  let running: LocalDev | undefined;
  let server: DevServer | undefined;

  beforeAll(async () => {
    server = await startDevServer({ ...options(), port: 0 });
    const { url } = server;
    const keys = await fetch(`${url}/_local/api-keys`);
    expect(keys.status).toBe(200);
    const listed = (await keys.json()) as { keys: { tenant: string; key: string }[] };
    const secrets = await fetch(`${url}/_local/webhook-secrets`);
    expect(secrets.status).toBe(200);
    running = {
      server,
      url,
      apiKey: listed.keys[0]?.key ?? '',
      secrets: (await secrets.json()) as WebhookSecrets,
      control: (method, path, body) => control(url, method, path, body),
    };
  });

  afterAll(async () => {
    await server?.close();
  });

  return () => {
    if (running === undefined) throw new Error('The dev server is not running (call inside a test or hook).');
    return running;
  };
}

async function control(url: string, method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.ok, `${method} ${path} answered ${response.status}`).toBe(true);
}

/** The embedded DynamoDB of a running `pnpm dev`, as `/_local/endpoints` names it. */
export interface LocalTables {
  /** A document client on it; `destroy()` it after the tests. */
  readonly documents: DynamoDBDocumentClient;
  /** The name of the table ending in `-<suffix>` (`products`); throws when there is none. */
  table(suffix: string): string;
}

/** Opens the dev server's DynamoDB at `url` (`GET /_local/endpoints`). */
export async function localTables(url: string): Promise<LocalTables> {
  const endpoints = (await (await fetch(`${url}/_local/endpoints`)).json()) as {
    dynamodb: {
      url: string;
      tables: string[];
      credentials: { accessKeyId: string; secretAccessKey: string };
    };
  };
  return {
    documents: DynamoDBDocumentClient.from(
      new DynamoDBClient({
        region: 'ap-northeast-1',
        endpoint: endpoints.dynamodb.url,
        credentials: endpoints.dynamodb.credentials,
      }),
    ),
    table(suffix) {
      const name = endpoints.dynamodb.tables.find((table) => table.endsWith(`-${suffix}`));
      if (name === undefined) throw new Error(`no local table ends with -${suffix}`);
      return name;
    },
  };
}
