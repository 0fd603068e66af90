// biome-ignore lint/style/noRestrictedImports: the classifier must agree with the errors the SDK really throws.
import * as sdk from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import {
  classifyModelError,
  isThrottleCode,
  type ModelErrorClass,
  type ModelErrorKind,
} from './model-errors.js';

const options = (message: string, httpStatusCode?: number) => ({ message, $metadata: { httpStatusCode } });

/** An error the service returned that the SDK has no class for: the base exception with its name. */
function unmodeledError(name: string, httpStatusCode: number): sdk.BedrockRuntimeServiceException {
  return new sdk.BedrockRuntimeServiceException({
    name,
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
    message: `${name} from the service`,
    $metadata: { httpStatusCode },
  });
}

/** A Node network error as `net` or `http2` throws it. */
function networkError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
}

function namedError(name: string, message = name): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

type Flags = Pick<ModelErrorClass, 'kind' | 'retryable' | 'failover' | 'fallback' | 'countsAsFailure'>;

const throttled: Flags = {
  kind: 'throttled',
  retryable: true,
  failover: true,
  fallback: true,
  countsAsFailure: true,
};
const unavailable: Flags = {
  kind: 'unavailable',
  retryable: true,
  failover: true,
  fallback: true,
  countsAsFailure: true,
};
const modelTimeout: Flags = {
  kind: 'model-timeout',
  retryable: false,
  failover: true,
  fallback: true,
  countsAsFailure: true,
};
const modelError: Flags = {
  kind: 'model-error',
  retryable: false,
  failover: false,
  fallback: true,
  countsAsFailure: false,
};
const streamError: Flags = {
  kind: 'stream-error',
  retryable: true,
  failover: true,
  fallback: true,
  countsAsFailure: true,
};
const rejected: Flags = {
  kind: 'rejected',
  retryable: false,
  failover: false,
  fallback: false,
  countsAsFailure: false,
};
const aborted: Flags = {
  kind: 'aborted',
  retryable: false,
  failover: false,
  fallback: false,
  countsAsFailure: false,
};

describe('classifyModelError', () => {
  it.each<[string, Error, Flags]>([
    ['ThrottlingException', new sdk.ThrottlingException(options('Too many requests', 429)), throttled],
    [
      'ServiceQuotaExceededException',
      new sdk.ServiceQuotaExceededException(options('Quota exceeded', 400)),
      throttled,
    ],
    ['TooManyRequestsException', unmodeledError('TooManyRequestsException', 429), throttled],
    [
      'ServiceUnavailableException',
      new sdk.ServiceUnavailableException(options('Unavailable', 503)),
      unavailable,
    ],
    ['InternalServerException', new sdk.InternalServerException(options('Internal', 500)), unavailable],
    ['ModelNotReadyException', new sdk.ModelNotReadyException(options('Not ready', 429)), unavailable],
    ['ModelTimeoutException', new sdk.ModelTimeoutException(options('Timed out', 408)), modelTimeout],
    ['ModelErrorException', new sdk.ModelErrorException(options('Model failed', 424)), modelError],
    [
      'ModelStreamErrorException',
      new sdk.ModelStreamErrorException(options('Stream failed', 424)),
      streamError,
    ],
    ['ValidationException', new sdk.ValidationException(options('Bad input', 400)), rejected],
    ['AccessDeniedException', new sdk.AccessDeniedException(options('No access', 403)), rejected],
    ['ResourceNotFoundException', new sdk.ResourceNotFoundException(options('No such model', 404)), rejected],
    ['ConflictException', new sdk.ConflictException(options('Conflict', 409)), rejected],
    ['UnrecognizedClientException', unmodeledError('UnrecognizedClientException', 403), rejected],
    ['ExpiredTokenException', unmodeledError('ExpiredTokenException', 403), rejected],
  ])('classifies %s by its name', (name, error, flags) => {
    expect(classifyModelError(error)).toEqual({ ...flags, code: name, message: error.message });
  });

  it('goes by the name even when the status code says something else', () => {
    // ModelNotReady arrives as a 429 but is an availability problem, not a throttle.
    expect(classifyModelError(new sdk.ModelNotReadyException(options('warming up', 429))).kind).toBe(
      'unavailable',
    );
    expect(classifyModelError(new sdk.ServiceQuotaExceededException(options('quota', 400))).kind).toBe(
      'throttled',
    );
  });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'ERR_HTTP2_STREAM_ERROR'])(
    'classifies the network error %s as unavailable and retryable',
    (code) => {
      expect(classifyModelError(networkError(code))).toMatchObject({ ...unavailable, code });
    },
  );

  it('classifies a TimeoutError by its name as unavailable and retryable', () => {
    expect(classifyModelError(namedError('TimeoutError', 'socket timed out'))).toEqual({
      ...unavailable,
      code: 'TimeoutError',
      message: 'socket timed out',
    });
  });

  it('classifies an AbortError as aborted, not retryable and no failure', () => {
    expect(classifyModelError(namedError('AbortError', 'Request aborted'))).toEqual({
      ...aborted,
      code: 'AbortError',
      message: 'Request aborted',
    });
  });

  it('classifies the abort of an AbortController as aborted', () => {
    const controller = new AbortController();
    controller.abort();

    expect(classifyModelError(controller.signal.reason).kind).toBe('aborted');
  });

  it('classifies an error with the ABORT_ERR code as aborted', () => {
    expect(classifyModelError(networkError('ABORT_ERR')).kind).toBe('aborted');
  });

  it.each<[number, ModelErrorKind, string]>([
    [429, 'throttled', 'HTTP429'],
    [503, 'unavailable', 'HTTP503'],
    [500, 'unavailable', 'HTTP500'],
    [400, 'rejected', 'HTTP400'],
    [403, 'rejected', 'HTTP403'],
  ])('classifies an unnamed error with HTTP status %i as %s', (httpStatusCode, kind, code) => {
    const error = { message: 'no name', $metadata: { httpStatusCode } };

    expect(classifyModelError(error)).toMatchObject({ kind, code });
  });

  it('classifies an unknown exception by its HTTP status and keeps its name as the code', () => {
    expect(classifyModelError(unmodeledError('SomethingNewException', 503))).toMatchObject({
      kind: 'unavailable',
      code: 'SomethingNewException',
    });
    expect(classifyModelError(unmodeledError('SomethingNewException', 400))).toMatchObject({
      kind: 'rejected',
      code: 'SomethingNewException',
    });
  });

  it('classifies an unknown exception without a status by its fault', () => {
    expect(classifyModelError({ name: 'OddException', $fault: 'server' })).toMatchObject({
      kind: 'unavailable',
    });
    expect(classifyModelError({ name: 'OddException', $fault: 'client' })).toMatchObject({
      kind: 'rejected',
    });
  });

  it('classifies a wrapped error by its cause', () => {
    const wrapped = new Error('model call failed', {
      cause: new sdk.ThrottlingException(options('Too many requests', 429)),
    });

    expect(classifyModelError(wrapped)).toMatchObject({ ...throttled, code: 'ThrottlingException' });
    expect(
      classifyModelError(
        new Error('outer', { cause: new Error('inner', { cause: networkError('ECONNRESET') }) }),
      ),
    ).toMatchObject({ kind: 'unavailable', code: 'ECONNRESET' });
  });

  it('keeps the message of the outer error when it classifies by the cause', () => {
    const wrapped = new Error('model call failed', {
      cause: new sdk.ValidationException(options('bad', 400)),
    });

    expect(classifyModelError(wrapped).message).toBe('model call failed');
  });

  it('classifies an error whose cause points back at itself without throwing', () => {
    const error = new Error('loops');
    error.cause = error;
    const other = new Error('other', { cause: error });
    error.cause = other;

    expect(classifyModelError(error)).toMatchObject({ kind: 'unavailable', code: 'Error', message: 'loops' });
  });

  it('classifies an unnamed transport fault as unavailable', () => {
    expect(classifyModelError(new Error('socket hang up'))).toMatchObject({ ...unavailable, code: 'Error' });
  });

  it.each<[string, unknown, string]>([
    ['a string', 'boom', 'boom'],
    ['undefined', undefined, 'undefined'],
    ['null', null, 'null'],
    ['a number', 42, '42'],
    ['an object without a prototype', Object.create(null), '[object Object]'],
  ])('classifies %s without throwing', (_label, value, message) => {
    expect(classifyModelError(value)).toEqual({ ...unavailable, code: 'UnknownError', message });
  });
});

describe('isThrottleCode', () => {
  it('names Bedrock’s throttling and quota errors and an unnamed 429 as throttling, nothing else', () => {
    for (const code of [
      'ThrottlingException',
      'ServiceQuotaExceededException',
      'TooManyRequestsException',
      'HTTP429',
    ]) {
      expect(isThrottleCode(code), code).toBe(true);
    }
    for (const code of [
      'ServiceUnavailableException',
      'DeadlineExceeded',
      'ValidationException',
      'HTTP503',
      '',
    ]) {
      expect(isThrottleCode(code), code).toBe(false);
    }
  });

  it('agrees with classifyModelError on a 429 without a name', () => {
    const classified = classifyModelError(
      Object.assign(new Error('slow down'), { name: '', $metadata: { httpStatusCode: 429 } }),
    );
    expect(isThrottleCode(classified.code)).toBe(true);
  });
});
