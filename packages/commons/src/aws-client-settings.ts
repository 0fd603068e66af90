/**
 * How the adapters' SDK clients reach their services when not by AWS's defaults: `pnpm dev`
 * points them at local endpoints, which accept any region and static credentials. Deployed,
 * none is set and each client takes the SDK's chains (`AWS_REGION`, the role's credentials).
 */
export interface AwsClientSettings {
  /** @default - the SDK's region chain (`AWS_REGION` in Lambda) */
  readonly region?: string;
  /** @default - the SDK's credential chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/**
 * The SDK client options of a custom `endpoint` (when set) and `settings`, to spread into a
 * client's configuration: only what is set, so the SDK's defaults apply to the rest.
 *
 * @example createDocumentClient(awsClientOptions(config.dynamoDbEndpoint, options))
 */
export function awsClientOptions(
  endpoint: string | undefined,
  settings: AwsClientSettings = {},
): { endpoint?: string; region?: string; credentials?: { accessKeyId: string; secretAccessKey: string } } {
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
  };
}
