import * as z from 'zod/mini';

/** The stages a deployment (or `pnpm dev`) runs as; outside `dev`, no store may fall back to memory. */
export const stages = ['dev', 'staging', 'prod'] as const;
export type DeploymentStage = (typeof stages)[number];

/** `MANGA_ENV`: the stage, `dev` when unset. */
export const stageSchema = z._default(z.enum(stages), 'dev');

/** `REDIS_URL`: the shared cache (ElastiCache/Valkey), plain or TLS. */
export const redisUrlSchema = z.string().check(z.regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'));
