import { EmulatedServiceError } from '../errors.js';

// Request checks in the words of the AWS front end ("1 validation error detected: Value 'x' at
// 'jobName' failed to satisfy constraint: …"), with Bedrock's documented patterns and bounds.

/** The statuses Bedrock reports for a batch inference job. */
export const batchJobStatuses = [
  'Submitted',
  'Validating',
  'Scheduled',
  'InProgress',
  'Completed',
  'PartiallyCompleted',
  'Failed',
  'Stopping',
  'Stopped',
  'Expired',
] as const;

export type BatchJobStatus = (typeof batchJobStatuses)[number];

export const modelInvocationTypes = ['InvokeModel', 'Converse'] as const;
export type ModelInvocationType = (typeof modelInvocationTypes)[number];

/** A CreateModelInvocationJob request that passed validation. */
export interface CreateJobInput {
  readonly jobName: string;
  readonly roleArn: string;
  readonly modelId: string;
  readonly clientRequestToken?: string;
  readonly inputDataConfig: {
    readonly s3InputDataConfig: {
      readonly s3Uri: string;
      readonly s3InputFormat?: 'JSONL';
      readonly s3BucketOwner?: string;
    };
  };
  readonly outputDataConfig: {
    readonly s3OutputDataConfig: {
      readonly s3Uri: string;
      readonly s3EncryptionKeyId?: string;
      readonly s3BucketOwner?: string;
    };
  };
  readonly timeoutDurationInHours?: number;
  readonly modelInvocationType?: ModelInvocationType;
  readonly vpcConfig?: {
    readonly subnetIds: readonly string[];
    readonly securityGroupIds: readonly string[];
  };
}

export interface ListJobsQuery {
  readonly submitTimeAfter?: Date;
  readonly submitTimeBefore?: Date;
  readonly statusEquals?: BatchJobStatus;
  readonly nameContains?: string;
  readonly maxResults: number;
  readonly nextToken?: string;
  readonly sortOrder: 'Ascending' | 'Descending';
}

/** A pattern as the service prints it, and an equivalent that cannot backtrack for long. */
interface Pattern {
  readonly shown: string;
  readonly test: RegExp;
}

// The job-name and token patterns nest a `-*` inside a repeated group; tested as written they take
// exponential time on a long run of hyphens, so an equivalent without the nesting does the test.
const patterns = {
  jobName: {
    shown: '[a-zA-Z0-9]{1,63}(-*[a-zA-Z0-9\\+\\-\\.]){0,63}',
    test: /^[a-zA-Z0-9][a-zA-Z0-9+.-]*$/,
  },
  clientRequestToken: {
    shown: '[a-zA-Z0-9]{1,256}(-*[a-zA-Z0-9]){0,256}',
    test: /^[a-zA-Z0-9](?:-*[a-zA-Z0-9])*$/,
  },
  roleArn: {
    shown: 'arn:aws(-[^:]+)?:iam::([0-9]{12})?:role/.+',
    test: /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/,
  },
  modelId: {
    shown:
      '(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-:]{1,63}/[a-z0-9]{12})|(:foundation-model/[a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63})))|([a-z0-9-]{1,63}[.]{1}[a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+)',
    test: /^(?:(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:(([0-9]{12}:custom-model\/[a-z0-9-]{1,63}[.][a-z0-9-:]{1,63}\/[a-z0-9]{12})|(:foundation-model\/[a-z0-9-]{1,63}[.][a-z0-9-]{1,63})))|([a-z0-9-]{1,63}[.][a-z0-9-]{1,63}([.]?[a-z0-9-]{1,63})([:][a-z0-9-]{1,63}){0,2})|(([0-9a-zA-Z][_-]?)+))$/,
  },
  s3Uri: {
    shown: "s3://[a-z0-9][-.a-z0-9]{1,61}(?:/[-!_*'().a-z0-9A-Z]+(?:/[-!_*'().a-z0-9A-Z]+)*)?/?",
    test: /^s3:\/\/[a-z0-9][-.a-z0-9]{1,61}(?:\/[-!_*'().a-z0-9A-Z]+(?:\/[-!_*'().a-z0-9A-Z]+)*)?\/?$/,
  },
  accountId: { shown: '[0-9]{12}', test: /^[0-9]{12}$/ },
  jobIdentifier: {
    shown: '((arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job/)?[a-z0-9]{12})',
    test: /^(arn:aws(-[^:]+)?:bedrock:[a-z0-9-]{1,20}:[0-9]{12}:model-invocation-job\/)?([a-z0-9]{12})$/,
  },
} as const satisfies Record<string, Pattern>;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
}

/** Collects constraint violations, then throws them as one ValidationException. */
class Violations {
  private readonly messages: string[] = [];

  add(path: string, value: unknown, constraint: string): void {
    this.messages.push(`Value ${shown(value)} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  /** The string at `path`, checked against its bounds and pattern; `undefined` if absent or invalid. */
  string(
    path: string,
    value: unknown,
    rule: { required: boolean; min?: number; max?: number; pattern?: Pattern },
  ): string | undefined {
    if (value === undefined || value === null) {
      if (rule.required) this.add(path, value, 'Member must not be null');
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add(path, value, 'Member must be a string');
      return undefined;
    }
    const before = this.messages.length;
    if (rule.min !== undefined && value.length < rule.min) {
      this.add(path, value, `Member must have length greater than or equal to ${rule.min}`);
    }
    if (rule.max !== undefined && value.length > rule.max) {
      this.add(path, value, `Member must have length less than or equal to ${rule.max}`);
    } else if (rule.pattern !== undefined && !rule.pattern.test.test(value)) {
      this.add(path, value, `Member must satisfy regular expression pattern: ${rule.pattern.shown}`);
    }
    return this.messages.length === before ? value : undefined;
  }

  integer(path: string, value: unknown, range: { min: number; max: number }): number | undefined {
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      this.add(path, value, 'Member must be an integer');
      return undefined;
    }
    if (value < range.min) {
      this.add(path, value, `Member must have value greater than or equal to ${range.min}`);
      return undefined;
    }
    if (value > range.max) {
      this.add(path, value, `Member must have value less than or equal to ${range.max}`);
      return undefined;
    }
    return value;
  }

  oneOf<Value extends string>(path: string, value: unknown, allowed: readonly Value[]): Value | undefined {
    if (value === undefined || value === null) return undefined;
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) {
      this.add(path, value, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
    }
    return match;
  }

  object(path: string, value: unknown, required: boolean): Record<string, unknown> | undefined {
    if (value === undefined || value === null) {
      if (required) this.add(path, value, 'Member must not be null');
      return undefined;
    }
    if (!isRecord(value)) {
      this.add(path, value, 'Member must be a structure');
      return undefined;
    }
    return value;
  }

  strings(path: string, value: unknown): string[] {
    if (value === undefined || value === null) return [];
    const items: unknown[] = Array.isArray(value) ? value : [];
    const strings = items.filter((item): item is string => typeof item === 'string');
    if (!Array.isArray(value) || strings.length !== items.length) {
      this.add(path, value, 'Member must be a list of strings');
      return [];
    }
    return strings;
  }

  throwIfAny(): void {
    const count = this.messages.length;
    if (count === 0) return;
    throw new EmulatedServiceError(
      'ValidationException',
      `${count} validation error${count === 1 ? '' : 's'} detected: ${this.messages.join('; ')}`,
    );
  }
}

/**
 * Reads a CreateModelInvocationJob body.
 * @throws EmulatedServiceError ValidationException listing every violated constraint.
 */
export function parseCreateRequest(body: unknown): CreateJobInput {
  const check = new Violations();
  const request = check.object('body', body, true) ?? {};
  const jobName = check.string('jobName', request.jobName, {
    required: true,
    min: 1,
    max: 63,
    pattern: patterns.jobName,
  });
  const roleArn = check.string('roleArn', request.roleArn, {
    required: true,
    max: 2048,
    pattern: patterns.roleArn,
  });
  const modelId = check.string('modelId', request.modelId, {
    required: true,
    min: 1,
    max: 2048,
    pattern: patterns.modelId,
  });
  const clientRequestToken = check.string('clientRequestToken', request.clientRequestToken, {
    required: false,
    min: 1,
    max: 256,
    pattern: patterns.clientRequestToken,
  });
  const input = check.object(
    'inputDataConfig.s3InputDataConfig',
    check.object('inputDataConfig', request.inputDataConfig, true)?.s3InputDataConfig,
    request.inputDataConfig !== undefined,
  );
  const inputUri = input
    ? check.string('inputDataConfig.s3InputDataConfig.s3Uri', input.s3Uri, {
        required: true,
        min: 1,
        max: 1024,
        pattern: patterns.s3Uri,
      })
    : undefined;
  const inputFormat = check.oneOf('inputDataConfig.s3InputDataConfig.s3InputFormat', input?.s3InputFormat, [
    'JSONL',
  ]);
  const inputOwner = check.string('inputDataConfig.s3InputDataConfig.s3BucketOwner', input?.s3BucketOwner, {
    required: false,
    pattern: patterns.accountId,
  });
  const output = check.object(
    'outputDataConfig.s3OutputDataConfig',
    check.object('outputDataConfig', request.outputDataConfig, true)?.s3OutputDataConfig,
    request.outputDataConfig !== undefined,
  );
  const outputUri = output
    ? check.string('outputDataConfig.s3OutputDataConfig.s3Uri', output.s3Uri, {
        required: true,
        min: 1,
        max: 1024,
        pattern: patterns.s3Uri,
      })
    : undefined;
  const outputKey = check.string(
    'outputDataConfig.s3OutputDataConfig.s3EncryptionKeyId',
    output?.s3EncryptionKeyId,
    { required: false, min: 1, max: 2048 },
  );
  const outputOwner = check.string(
    'outputDataConfig.s3OutputDataConfig.s3BucketOwner',
    output?.s3BucketOwner,
    { required: false, pattern: patterns.accountId },
  );
  const timeoutDurationInHours = check.integer('timeoutDurationInHours', request.timeoutDurationInHours, {
    min: 24,
    max: 168,
  });
  const modelInvocationType = check.oneOf(
    'modelInvocationType',
    request.modelInvocationType,
    modelInvocationTypes,
  );
  const vpc = check.object('vpcConfig', request.vpcConfig, false);
  const vpcConfig = vpc
    ? {
        subnetIds: check.strings('vpcConfig.subnetIds', vpc.subnetIds),
        securityGroupIds: check.strings('vpcConfig.securityGroupIds', vpc.securityGroupIds),
      }
    : undefined;
  check.throwIfAny();
  if (jobName === undefined || roleArn === undefined || modelId === undefined) throw unreachable();
  if (inputUri === undefined || outputUri === undefined) throw unreachable();
  return {
    jobName,
    roleArn,
    modelId,
    ...(clientRequestToken !== undefined ? { clientRequestToken } : {}),
    inputDataConfig: {
      s3InputDataConfig: {
        s3Uri: inputUri,
        ...(inputFormat !== undefined ? { s3InputFormat: inputFormat } : {}),
        ...(inputOwner !== undefined ? { s3BucketOwner: inputOwner } : {}),
      },
    },
    outputDataConfig: {
      s3OutputDataConfig: {
        s3Uri: outputUri,
        ...(outputKey !== undefined ? { s3EncryptionKeyId: outputKey } : {}),
        ...(outputOwner !== undefined ? { s3BucketOwner: outputOwner } : {}),
      },
    },
    ...(timeoutDurationInHours !== undefined ? { timeoutDurationInHours } : {}),
    ...(modelInvocationType !== undefined ? { modelInvocationType } : {}),
    ...(vpcConfig !== undefined ? { vpcConfig } : {}),
  };
}

// A required member that passed `string` without a violation is never undefined; this keeps the
// compiler convinced without a cast.
function unreachable(): Error {
  return new EmulatedServiceError('InternalServerException', 'Request validation lost a required member.');
}

/** The id in a job identifier (a job ARN or the bare 12-character id), and the ARN's region if any. */
export interface JobIdentifier {
  readonly id: string;
  readonly arn?: string;
}

/**
 * Reads the `{jobIdentifier}` path label.
 * @throws EmulatedServiceError ValidationException when it is neither a job ARN nor a job id.
 */
export function parseJobIdentifier(raw: string): JobIdentifier {
  const match = patterns.jobIdentifier.test.exec(raw);
  const id = match?.[3];
  if (match === null || id === undefined) {
    const check = new Violations();
    check.add(
      'jobIdentifier',
      raw,
      `Member must satisfy regular expression pattern: ${patterns.jobIdentifier.shown}`,
    );
    check.throwIfAny();
    throw unreachable();
  }
  return match[1] === undefined ? { id } : { id, arn: raw };
}

/**
 * Reads ListModelInvocationJobs' query string.
 * @throws EmulatedServiceError ValidationException for an unknown status, a bad time or bounds.
 */
export function parseListQuery(query: URLSearchParams): ListJobsQuery {
  const check = new Violations();
  const time = (name: string): Date | undefined => {
    const raw = query.get(name);
    if (raw === null) return undefined;
    const parsed = new Date(raw);
    if (Number.isNaN(parsed.getTime())) {
      check.add(name, raw, 'Member must be a timestamp');
      return undefined;
    }
    return parsed;
  };
  const submitTimeAfter = time('submitTimeAfter');
  const submitTimeBefore = time('submitTimeBefore');
  const statusEquals = check.oneOf('statusEquals', query.get('statusEquals'), batchJobStatuses);
  const nameContains = check.string('nameContains', query.get('nameContains'), {
    required: false,
    min: 1,
    max: 63,
  });
  const rawMax = query.get('maxResults');
  const maxResults =
    rawMax === null ? 1000 : check.integer('maxResults', Number(rawMax), { min: 1, max: 1000 });
  const nextToken = check.string('nextToken', query.get('nextToken'), { required: false, min: 1, max: 2048 });
  check.oneOf('sortBy', query.get('sortBy'), ['CreationTime']);
  const sortOrder = check.oneOf('sortOrder', query.get('sortOrder'), ['Ascending', 'Descending']);
  check.throwIfAny();
  return {
    ...(submitTimeAfter !== undefined ? { submitTimeAfter } : {}),
    ...(submitTimeBefore !== undefined ? { submitTimeBefore } : {}),
    ...(statusEquals !== undefined ? { statusEquals } : {}),
    ...(nameContains !== undefined ? { nameContains } : {}),
    maxResults: maxResults ?? 1000,
    ...(nextToken !== undefined ? { nextToken } : {}),
    sortOrder: sortOrder ?? 'Descending',
  };
}
