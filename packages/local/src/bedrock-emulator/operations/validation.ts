import type * as z from 'zod/mini';
import { EmulatedServiceError } from '../errors.js';

/**
 * Parses a request body, turning schema failures into the ValidationException Bedrock gives
 * for malformed input (its wording, with the failing paths appended).
 */
export function parseRequestBody<Schema extends z.ZodMiniType>(
  schema: Schema,
  body: unknown,
): z.output<Schema> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const problems = result.error.issues
    .map((issue) => `#/${issue.path.map(String).join('/')}: ${issue.message}`)
    .join('; ');
  throw new EmulatedServiceError(
    'ValidationException',
    `Malformed input request: ${problems}, please reformat your input and try again.`,
  );
}
