import { type Agent, request } from 'node:http';

/** What a JSON POST answered. */
export interface JsonAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * POSTs `body` as JSON with the API key (or the given headers) over a keep-alive agent, as the
 * benchmarks' clients do.
 */
export function postJson(
  url: string,
  body: unknown,
  credentials: string | Readonly<Record<string, string>>,
  agent: Agent,
): Promise<JsonAnswer> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(text),
          ...(typeof credentials === 'string' ? { 'x-api-key': credentials } : credentials),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(text);
  });
}
