import { chatConfigSchema, chatEnvironmentFields } from '@mangaassist/chat';
import { ConfigurationError, configFromEnvironment, type EnvironmentField } from '@mangaassist/commons';
import { gatewayEnvironment as names } from '@mangaassist/contracts';
import * as z from 'zod/mini';

/**
 * What the job functions read: the gateway and the tenants (as the chat doors), and where jobs
 * live and run. Each door checks the parts it needs (`requireJobsSetting`).
 */
export const jobsConfigSchema = z.extend(chatConfigSchema, {
  jobsTable: z.optional(z.string().check(z.minLength(3))),
  documentsBucket: z.optional(z.string().check(z.minLength(3))),
  jobsQueueUrl: z.optional(z.url()),
  jobsLowQueueUrl: z.optional(z.url()),
  /** Jobs one tenant may run at once; the next wait in their queue. */
  jobsPerTenant: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 5),
  jobCallbacksQueueUrl: z.optional(z.url()),
  callbackSecretId: z.optional(z.string().check(z.minLength(1))),
  jobStateMachineArn: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/,
          'a state machine ARN',
        ),
      ),
  ),
});

export type JobsConfig = z.output<typeof jobsConfigSchema>;

const jobsEnvironmentFields = {
  ...chatEnvironmentFields,
  jobsTable: { variable: names.jobsTable },
  documentsBucket: { variable: names.documentsBucket },
  jobsQueueUrl: { variable: names.jobsQueueUrl },
  jobsLowQueueUrl: { variable: names.jobsLowQueueUrl },
  jobsPerTenant: { variable: names.jobsPerTenant },
  jobCallbacksQueueUrl: { variable: names.jobCallbacksQueueUrl },
  callbackSecretId: { variable: names.callbackSecretId },
  jobStateMachineArn: { variable: names.jobStateMachineArn },
} as const satisfies Record<keyof JobsConfig, EnvironmentField>;

/** Reads the jobs configuration; anything invalid throws `ConfigurationError` naming the variable. */
export function jobsConfigFromEnvironment(env: Readonly<Record<string, string | undefined>>): JobsConfig {
  return configFromEnvironment(jobsConfigSchema, env, jobsEnvironmentFields, 'jobs');
}

type JobsSetting =
  | 'jobsTable'
  | 'documentsBucket'
  | 'jobsQueueUrl'
  | 'jobsLowQueueUrl'
  | 'jobStateMachineArn';

/** A setting a door cannot work without: its value, or a `ConfigurationError` naming the variable. */
export function requireJobsSetting(config: JobsConfig, setting: JobsSetting): string {
  const value = config[setting];
  if (value === undefined)
    throw new ConfigurationError(`${jobsEnvironmentFields[setting].variable} is required`);
  return value;
}
