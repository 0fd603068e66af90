/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundles (an esbuild alias set by
 * `PlatformFunction`). The Lambda runtime hands a function its role's credentials in the
 * environment, which is the first provider the SDK's default chain tries; the rest of that chain
 * (SSO, STS web identity and assume-role, INI files, credential processes, instance metadata)
 * can never apply there, yet it brings four nested SDK clients (STS, SSO, SSO OIDC, Signin) into
 * every bundle. Only this file is bundled in its place.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** The credentials of the function's execution role, from the environment Lambda sets. */
export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
