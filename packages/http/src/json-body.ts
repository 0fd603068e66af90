import type * as z from 'zod/mini';
import { type ErrorIssue, errorResponse, type HttpRequest, type HttpResponse } from './http.js';

export interface JsonBodyLimits {
  /** Largest body accepted, in bytes. @default 6 MiB (a synchronous Lambda invocation's payload limit) */
  readonly maxBodyBytes?: number;
}

const defaultMaxBodyBytes = 6 * 1024 * 1024;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Formats zod issues as `{ path: "messages.0.role", message }`. */
export function toIssues(issues: readonly z.core.$ZodIssue[]): ErrorIssue[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(body)',
    message: issue.message,
  }));
}

/**
 * Reads a JSON request body and validates it with a zod schema. Returns the parsed value, or
 * the 4xx response to send: 415 (not JSON), 413 (too large), 400 (invalid UTF-8, malformed
 * JSON, or schema issues with a path for each).
 */
export function readJsonBody<S extends z.ZodMiniType>(
  request: HttpRequest,
  schema: S,
  limits: JsonBodyLimits = {},
): { ok: true; value: z.output<S> } | { ok: false; response: HttpResponse } {
  const fail = (status: number, code: string, message: string, issues?: ErrorIssue[]) => ({
    ok: false as const,
    response: errorResponse(status, request.requestId, code, message, issues ? { issues } : {}),
  });
  const contentType = request.headers['content-type'] ?? '';
  const [mediaType = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (mediaType !== 'application/json') {
    return fail(415, 'unsupported_media_type', 'Send the body as Content-Type: application/json.');
  }
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length);
  if (charset && charset.replaceAll('"', '') !== 'utf-8') {
    return fail(415, 'unsupported_media_type', 'The body must be UTF-8 encoded.');
  }
  const maxBodyBytes = limits.maxBodyBytes ?? defaultMaxBodyBytes;
  if (request.body.byteLength > maxBodyBytes) {
    return fail(
      413,
      'payload_too_large',
      `The body is ${request.body.byteLength} bytes; the limit is ${maxBodyBytes}.`,
    );
  }
  let text: string;
  try {
    text = utf8.decode(request.body);
  } catch {
    return fail(400, 'invalid_utf8', 'The body is not valid UTF-8.');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return fail(400, 'malformed_json', `The body is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    return fail(
      400,
      'validation_failed',
      'The request does not match the schema.',
      toIssues(parsed.error.issues),
    );
  }
  return { ok: true, value: parsed.data };
}
