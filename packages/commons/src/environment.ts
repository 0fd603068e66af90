import type * as z from 'zod/mini';

/** A deployment setting that is missing or invalid: thrown at cold start, naming the variable. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * How one field of a configuration is read from the environment: its variable, and how the text
 * becomes the value the schema checks (`text` as is, `json` parsed, `list` split on commas).
 */
export interface EnvironmentField {
  readonly variable: string;
  /** @default 'text' */
  readonly format?: 'text' | 'json' | 'list';
}

/**
 * Reads a configuration from environment variables and validates it with `schema`. Unset, empty
 * and blank variables are absent (so the schema's defaults apply); `json` fields must be valid
 * JSON. Throws `ConfigurationError` (`invalid <what> configuration: …`) listing every problem by
 * variable name, so a bad deployment fails at cold start rather than on a request.
 *
 * @example
 * const config = configFromEnvironment(schema, process.env, { redisUrl: { variable: 'REDIS_URL' } }, 'cache');
 */
export function configFromEnvironment<S extends z.ZodMiniType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  fields: Readonly<Record<string, EnvironmentField>>,
  what = 'the',
): z.output<S> {
  const raw: Record<string, unknown> = {};
  for (const [field, { variable, format = 'text' }] of Object.entries(fields)) {
    const value = env[variable]?.trim();
    if (value === undefined || value === '') continue;
    raw[field] = format === 'json' ? parseJson(variable, value) : format === 'list' ? list(value) : value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const [field] = issue.path;
      return `${fields[String(field)]?.variable ?? String(field)}: ${issue.message}`;
    });
    throw new ConfigurationError(`invalid ${what} configuration: ${problems.join('; ')}`);
  }
  return parsed.data;
}

function parseJson(variable: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new ConfigurationError(`${variable} is not valid JSON: ${(error as Error).message}`);
  }
}

function list(value: string): string[] {
  return value.split(',').map((item) => item.trim());
}

/**
 * Outside `dev`, a store left unconfigured would silently fall back to per-instance memory
 * (budgets, tickets and sessions that differ between instances): throws `ConfigurationError`
 * naming the settings `door` needs that `config` lacks.
 */
export function requireOutsideDev<C extends { readonly stage: string }>(
  config: C,
  settings: readonly (keyof C & string)[],
  door: string,
): void {
  if (config.stage === 'dev') return;
  const missing = settings.filter((setting) => config[setting] === undefined);
  if (missing.length > 0) {
    throw new ConfigurationError(`${door} needs ${missing.join(', ')} when the stage is ${config.stage}`);
  }
}
