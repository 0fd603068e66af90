import type { ErrorIssue } from '@mangaassist/http';
import { toIssues } from '@mangaassist/http';
import type * as z from 'zod/mini';

/**
 * A verified delivery whose payload the processor cannot act on (a Stripe
 * `checkout.session.completed` whose session object fails its schema). The receiver answers 400
 * with `issues` and releases the claim; the sender's retry of the same payload fails the same way.
 */
export class WebhookPayloadError extends Error {
  override readonly name = 'WebhookPayloadError';

  constructor(
    message: string,
    /** What is wrong, one entry per field (`path` is dotted, relative to the payload). */
    readonly issues: readonly ErrorIssue[],
  ) {
    super(message);
  }

  /** From a failed zod parse; `prefix` is the path of the parsed part inside the payload. */
  static fromZod(message: string, error: z.core.$ZodError, prefix = ''): WebhookPayloadError {
    const issues = toIssues(error.issues).map((issue) => ({
      path: prefix === '' ? issue.path : issue.path === '(body)' ? prefix : `${prefix}.${issue.path}`,
      message: issue.message,
    }));
    return new WebhookPayloadError(message, issues);
  }
}
