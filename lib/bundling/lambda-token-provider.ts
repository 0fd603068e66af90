/**
 * Stands in for `@aws-sdk/token-providers` in the Lambda bundles (an esbuild alias set by
 * `PlatformFunction`). The Bedrock client asks it for a bearer token only when a Bedrock API key is
 * configured (`AWS_BEARER_TOKEN_BEDROCK`); `fromEnvSigningName` reads that variable exactly as the
 * SDK's does. The SDK's fallback — an SSO token from a local profile, which brings an SSO OIDC
 * client into every Bedrock bundle — cannot apply in Lambda, so `nodeProvider` refuses.
 */

/** A bearer token provider, as the SDK calls it. */
type TokenProvider = () => Promise<{ readonly token: string }>;

/** The SDK's `TokenProviderError` name, so the SDK's own handling of it is unchanged. */
class TokenProviderError extends Error {
  override readonly name = 'TokenProviderError';
}

/** The bearer token of `signingName` (`bedrock`) from `AWS_BEARER_TOKEN_<SIGNING NAME>`. */
export function fromEnvSigningName({ signingName }: { readonly signingName?: string } = {}): TokenProvider {
  return async () => {
    if (!signingName) {
      throw new TokenProviderError("Please pass 'signingName' to compute environment variable key");
    }
    const variable = `AWS_BEARER_TOKEN_${signingName.replace(/[\s-]/g, '_').toUpperCase()}`;
    const token = process.env[variable];
    if (token === undefined) {
      throw new TokenProviderError(`Token not present in '${variable}' environment variable`);
    }
    return { token };
  };
}

/** No SSO in Lambda: the function signs with its role, or with a key `fromEnvSigningName` reads. */
export function nodeProvider(): TokenProvider {
  return async () => {
    throw new TokenProviderError(
      'No bearer token: Lambda functions sign with their role, or set AWS_BEARER_TOKEN_BEDROCK',
    );
  };
}
