import { EmulatedServiceError } from './errors.js';

// Credential=<access key>/<yyyymmdd>/<region>/<service>/aws4_request, then SignedHeaders (over HTTP/2 they
// include pseudo-headers such as `:authority`) and Signature.
const sigV4Header =
  /^AWS4-HMAC-SHA256\s+Credential=[^/\s,]+\/\d{8}\/([a-z0-9-]+)\/[a-z0-9-]+\/aws4_request\s*,\s*SignedHeaders=[^,\s]+\s*,\s*Signature=[0-9a-f]+\s*$/i;

/**
 * The region a request was signed for, read from the SigV4 credential scope. All emulated
 * regions share one endpoint, so the scope is the only place the caller's region shows.
 * Signatures are not verified: the emulator accepts any static fake credentials.
 *
 * @throws EmulatedServiceError `MissingAuthenticationTokenException` without an Authorization
 *   header, `UnrecognizedClientException` when it is not a SigV4 header.
 */
export function regionFromAuthorization(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') {
    throw new EmulatedServiceError('MissingAuthenticationTokenException');
  }
  const match = sigV4Header.exec(authorization.trim());
  const region = match?.[1];
  if (region === undefined) throw new EmulatedServiceError('UnrecognizedClientException');
  return region.toLowerCase();
}
