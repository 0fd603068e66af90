// The public surface of @mangaassist/commons.

export { lambdaTransientErrors, stepTask, transientTaskRetry } from './asl-tasks.js';
export { type AwsClientSettings, awsClientOptions } from './aws-client-settings.js';
export { backoffDelayMs, defaultRetryPolicy, type RetryPolicy, resolveRetryPolicy } from './backoff.js';
export { boundedCall, CallTimeoutError, untilAborted } from './bounded-call.js';
export { type Clock, type Random, systemClock } from './clock.js';
export { Deadline, DeadlineExceededError } from './deadline.js';
export {
  discardMetrics,
  EmfFormatError,
  emfWriter,
  formatEmf,
  type MetricSet,
  type MetricsSink,
  type MetricValue,
} from './embedded-metrics.js';
export {
  ConfigurationError,
  configFromEnvironment,
  type EnvironmentField,
  requireOutsideDev,
} from './environment.js';
export { consoleLogger, type Logger, silentLogger } from './logger.js';
export { errorMessage, RateLimitedWarning } from './rate-limited-warning.js';
export { assertTtlSeconds, expiresAtSeconds, hasExpired } from './time-to-live.js';
export { secondsUntilNextUtcMidnight, utcDay } from './utc-day.js';
export { truncateUtf8, utf8ByteLength } from './utf8.js';
