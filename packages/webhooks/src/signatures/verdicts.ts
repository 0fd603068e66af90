import type { SignatureFailure, SignatureVerdict } from '../signature-scheme.js';

/** A refusal verdict. Messages are fixed texts: they never echo header values or secrets. */
export function refuse(reason: SignatureFailure, message: string): SignatureVerdict {
  return { ok: false, reason, message };
}
