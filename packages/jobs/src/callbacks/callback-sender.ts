/** What a callback's POST came to. */
export type CallbackResponse =
  | { readonly delivered: true; readonly status: number }
  /** Not delivered: a non-2xx status, or `status` 0 when no response came (refused, timeout, blocked address). */
  | { readonly delivered: false; readonly status: number; readonly reason: string };

/**
 * POSTs a signed JSON body to a callback URL (deployed: HTTPS to a public address only, the
 * address checked again at connect time, redirects not followed). Never throws for what the
 * receiver does: the outcome says whether it was delivered.
 */
export interface CallbackSender {
  post(url: string, body: string, headers: Readonly<Record<string, string>>): Promise<CallbackResponse>;
}

/**
 * Who callbacks may go to. Deployed: HTTPS to public addresses only; `pnpm dev` also allows
 * plain HTTP to loopback, so a developer can receive callbacks on the laptop.
 */
export interface CallbackPolicy {
  readonly allowLoopbackHttp: boolean;
}
