import { recordingLogger, settlesWithin } from '@mangaassist/commons/testing';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListedExecutionEvent, TruncatedPayload } from './execution-events.js';
import { InvalidStateMachineDefinitionError } from './local-definition.js';
import {
  ExecutionAlreadyExistsError,
  InvalidExecutionInputError,
  InvalidNameError,
  type LocalStateMachineDefinition,
  LocalStateMachines,
  LocalStateMachinesClosedError,
  type LocalStateMachinesOptions,
  StateMachineDoesNotExistError,
} from './local-state-machines.js';
import type { LocalTaskHandler } from './task-handlers.js';

const opened: LocalStateMachines[] = [];

afterEach(async () => {
  await Promise.all(opened.splice(0).map((machines) => machines.close(1_000)));
});

function localMachines(
  machines: LocalStateMachineDefinition[],
  options: Omit<LocalStateMachinesOptions, 'machines'> = {},
): LocalStateMachines {
  const created = new LocalStateMachines({ machines, ...options });
  opened.push(created);
  return created;
}

function lambda(name: string): string {
  return `arn:aws:lambda:ap-northeast-1:123456789012:function:${name}`;
}

/** A one-Task machine: `Run` calls `handler`, with `task` merged into the Task state. */
function singleTask(name: string, handler: LocalTaskHandler, task: object = {}): LocalStateMachineDefinition {
  return {
    name,
    definition: {
      StartAt: 'Run',
      States: { Run: { Type: 'Task', Resource: lambda(name), End: true, ...task } },
    },
    tasks: { Run: handler },
  };
}

function finished(machines: LocalStateMachines, executionId: string) {
  return settlesWithin(machines.finished(executionId), 5_000, `execution ${executionId} finishing`);
}

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve: (value: T) => void = () => {};
  const promise = new Promise<T>((settle) => {
    resolve = settle;
  });
  return { promise, resolve };
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function eventsOf(machines: LocalStateMachines, executionId: string): readonly ListedExecutionEvent[] {
  return (
    machines.listing().executions.find((execution) => execution.executionArn === executionId)?.events ?? []
  );
}

describe('LocalStateMachines', () => {
  describe('running ASL', () => {
    const reviewFlow: LocalStateMachineDefinition = {
      name: 'review-triage',
      definition: {
        StartAt: 'Classify',
        States: {
          Classify: {
            Type: 'Task',
            Resource: lambda('classify'),
            Parameters: { 'text.$': '$.review' },
            ResultSelector: { 'label.$': '$.label' },
            ResultPath: '$.classification',
            Next: 'Route',
          },
          Route: {
            Type: 'Choice',
            Choices: [{ Variable: '$.classification.label', StringEquals: 'negative', Next: 'Escalate' }],
            Default: 'Archive',
          },
          Escalate: { Type: 'Pass', Result: { queue: 'support' }, ResultPath: '$.route', End: true },
          Archive: { Type: 'Pass', Parameters: { 'review.$': '$.review', archived: true }, End: true },
        },
      },
      tasks: {
        Classify: async (input) => ({
          label: String(fieldOf(input, 'text')).includes('破れ') ? 'negative' : 'positive',
          score: 0.93,
        }),
      },
    };

    it('runs a Task, a Choice on its selected result and the Pass state the Choice picked', async () => {
      const machines = localMachines([reviewFlow]);

      const negative = machines.start('review-triage', { review: '表紙が破れていた' });
      const positive = machines.start('review-triage', { review: '最高の一巻' });

      await expect(finished(machines, negative)).resolves.toMatchObject({
        status: 'SUCCEEDED',
        output: {
          review: '表紙が破れていた',
          classification: { label: 'negative' },
          route: { queue: 'support' },
        },
      });
      await expect(finished(machines, positive)).resolves.toMatchObject({
        status: 'SUCCEEDED',
        output: { review: '最高の一巻', archived: true },
      });
    });

    it('passes a handler the input after Parameters and names the execution like an ARN', async () => {
      const inputs: unknown[] = [];
      const contexts: unknown[] = [];
      const machines = localMachines([
        {
          ...reviewFlow,
          tasks: {
            Classify: async (input, context) => {
              inputs.push(input);
              contexts.push({ executionId: context.executionId, stateName: context.stateName });
              return { label: 'positive' };
            },
          },
        },
      ]);

      const id = machines.start(
        'review-triage',
        { review: 'よかった', reviewer: 'u-1' },
        { name: 'review-42' },
      );
      await finished(machines, id);

      expect(id).toBe('arn:aws:states:local:000000000000:execution:review-triage:review-42');
      expect(inputs).toEqual([{ text: 'よかった' }]);
      expect(contexts).toEqual([{ executionId: id, stateName: 'Classify' }]);
    });

    it("runs the Task states of a Map's item processor by name, at most MaxConcurrency at once, results in item order", async () => {
      let running = 0;
      let mostAtOnce = 0;
      const seen: unknown[] = [];
      const machines = localMachines([
        {
          name: 'summarise-document',
          definition: {
            StartAt: 'Summarise pages',
            States: {
              'Summarise pages': {
                Type: 'Map',
                ItemsPath: '$.pages',
                MaxConcurrency: 2,
                ItemSelector: {
                  'page.$': '$$.Map.Item.Value',
                  'index.$': '$$.Map.Item.Index',
                  'jobId.$': '$.jobId',
                },
                ItemProcessor: {
                  ProcessorConfig: { Mode: 'INLINE' },
                  StartAt: 'Summarise page',
                  States: { 'Summarise page': { Type: 'Task', Resource: lambda('summarise'), End: true } },
                },
                ResultPath: '$.summaries',
                End: true,
              },
            },
          },
          tasks: {
            'Summarise page': async (input) => {
              seen.push(input);
              running++;
              mostAtOnce = Math.max(mostAtOnce, running);
              await delay(15);
              running--;
              return `summary of ${String(fieldOf(input, 'page'))}`;
            },
          },
        },
      ]);
      const pages = ['p1', 'p2', 'p3', 'p4', 'p5', 'p6'];

      const id = machines.start('summarise-document', { jobId: 'job-7', pages });
      const result = await finished(machines, id);

      expect(mostAtOnce).toBe(2);
      expect(result?.output).toEqual({
        jobId: 'job-7',
        pages,
        summaries: pages.map((page) => `summary of ${page}`),
      });
      expect(seen).toContainEqual({ page: 'p4', index: 3, jobId: 'job-7' });
      const iterations = eventsOf(machines, id).filter((event) => event.type === 'MapIterationSucceeded');
      expect(iterations.map((event) => event.mapIndex).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    });

    it('gives a lambda:invoke Task the Payload and wraps its result in the Invoke response', async () => {
      const inputs: unknown[] = [];
      const machines = localMachines([
        {
          name: 'invoke',
          definition: {
            StartAt: 'Summarise',
            States: {
              Summarise: {
                Type: 'Task',
                Resource: 'arn:aws:states:::lambda:invoke',
                Parameters: { FunctionName: lambda('summarise'), 'Payload.$': '$' },
                ResultSelector: { 'summary.$': '$.Payload.summary', 'status.$': '$.StatusCode' },
                End: true,
              },
            },
          },
          tasks: {
            Summarise: async (input) => {
              inputs.push(input);
              return { summary: '要約' };
            },
          },
        },
      ]);

      const result = await finished(machines, machines.start('invoke', { documentId: 'd-1' }));

      expect(inputs).toEqual([{ documentId: 'd-1' }]);
      expect(result?.output).toEqual({ summary: '要約', status: 200 });
    });
  });

  describe('errors, Retry and Catch', () => {
    it('retries an error named ModelThrottled with the backoff scaled down, then succeeds', async () => {
      const callTimes: number[] = [];
      const machines = localMachines(
        [
          singleTask(
            'generate',
            async () => {
              callTimes.push(performance.now());
              if (callTimes.length <= 2) throw namedError('ModelThrottled', 'slow down');
              return 'generated';
            },
            {
              Retry: [
                { ErrorEquals: ['ModelThrottled'], IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 3 },
              ],
            },
          ),
        ],
        { retryIntervalScale: 0.05 },
      );

      const id = machines.start('generate', {});
      const result = await finished(machines, id);

      expect(result).toMatchObject({ status: 'SUCCEEDED', output: 'generated' });
      const [first = 0, second = 0, third = 0] = callTimes;
      expect(callTimes).toHaveLength(3);
      // 2 s and 4 s on AWS; 100 ms and 200 ms at a scale of 0.05 (timers may fire a hair early).
      expect(second - first).toBeGreaterThanOrEqual(95);
      expect(third - second).toBeGreaterThanOrEqual(195);
      expect(third - first).toBeLessThan(2_000);
      const retries = eventsOf(machines, id).filter((event) => event.type === 'StateRetried');
      expect(retries.map((event) => event.attempt)).toEqual([1, 2]);
    });

    it("catches a failure under the thrown error's name into the fallback state, with the Lambda runtime's Cause", async () => {
      const machines = localMachines([
        {
          name: 'with-fallback',
          definition: {
            StartAt: 'Generate',
            States: {
              Generate: {
                Type: 'Task',
                Resource: lambda('generate'),
                Retry: [{ ErrorEquals: ['ModelThrottled'], MaxAttempts: 1 }],
                Catch: [{ ErrorEquals: ['ModelThrottled'], Next: 'Cached answer', ResultPath: '$.failure' }],
                End: true,
              },
              'Cached answer': {
                Type: 'Pass',
                Parameters: { 'failure.$': '$.failure', answer: 'cached' },
                End: true,
              },
            },
          },
          tasks: {
            Generate: async () => {
              throw namedError('ModelThrottled', 'still throttled');
            },
          },
        },
      ]);

      const result = await finished(machines, machines.start('with-fallback', { question: 'おすすめは？' }));

      expect(result?.status).toBe('SUCCEEDED');
      const failure = fieldOf(result?.output, 'failure');
      expect(failure).toMatchObject({ Error: 'ModelThrottled' });
      expect(JSON.parse(String(fieldOf(failure, 'Cause')))).toMatchObject({
        errorType: 'ModelThrottled',
        errorMessage: 'still throttled',
      });
      expect(fieldOf(result?.output, 'answer')).toBe('cached');
    });

    it('names a plain Error "Error", which States.TaskFailed catches, and keeps the message as the Cause of a non-Lambda resource', async () => {
      const machines = localMachines([
        {
          name: 'put-item',
          definition: {
            StartAt: 'Save',
            States: {
              Save: {
                Type: 'Task',
                Resource: 'arn:aws:states:::dynamodb:putItem',
                Parameters: { TableName: 'jobs', Item: { pk: { S: 'job#1' } } },
                Catch: [{ ErrorEquals: ['States.TaskFailed'], Next: 'Failed' }],
                End: true,
              },
              Failed: { Type: 'Pass', End: true },
            },
          },
          tasks: {
            Save: async () => {
              throw new Error('table is read-only');
            },
          },
        },
      ]);

      const result = await finished(machines, machines.start('put-item', {}));

      expect(result?.output).toEqual({ Error: 'Error', Cause: 'table is read-only' });
    });

    it('fails the execution with the error name and Cause of an uncaught task failure', async () => {
      const logger = recordingLogger();
      const machines = localMachines(
        [
          singleTask('charge', async () => {
            throw namedError('PaymentDeclined', 'card expired');
          }),
        ],
        { logger },
      );

      const result = await finished(machines, machines.start('charge', { orderId: 'o-1' }));

      expect(result).toMatchObject({ status: 'FAILED', error: 'PaymentDeclined' });
      expect(JSON.parse(String(result?.cause))).toMatchObject({ errorMessage: 'card expired' });
      expect(result?.stopDate).toBeInstanceOf(Date);
      expect(logger.entries).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          fields: expect.objectContaining({ error: 'PaymentDeclined' }),
        }),
      );
    });

    it('times an execution out after its TimeoutSeconds and aborts the running handler', async () => {
      let signal: AbortSignal | undefined;
      const machines = localMachines([
        {
          name: 'slow',
          definition: {
            TimeoutSeconds: 1,
            StartAt: 'Run',
            States: { Run: { Type: 'Task', Resource: lambda('slow'), End: true } },
          },
          tasks: {
            Run: async (_input, context) => {
              signal = context.signal;
              await whenAborted(context.signal);
              return 'too late';
            },
          },
        },
      ]);

      const result = await finished(machines, machines.start('slow', {}));

      expect(result).toMatchObject({ status: 'TIMED_OUT', error: 'States.Timeout' });
      expect(signal?.aborted).toBe(true);
    });

    it('settles failing, stopped and Map-failing executions without an unhandled rejection', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown) => unhandled.push(reason);
      process.on('unhandledRejection', onUnhandled);
      try {
        const machines = localMachines([
          singleTask('fails', async () => {
            throw new TypeError('bad');
          }),
          singleTask('waits', (_input, context) => whenAborted(context.signal).then(() => 'late')),
          {
            name: 'map-fails',
            definition: {
              StartAt: 'Each',
              States: {
                Each: {
                  Type: 'Map',
                  MaxConcurrency: 1,
                  ItemProcessor: {
                    StartAt: 'Item',
                    States: { Item: { Type: 'Task', Resource: lambda('item'), End: true } },
                  },
                  End: true,
                },
              },
            },
            tasks: {
              Item: async (input) => {
                if (input === 2) throw new RangeError('no page 2');
                return input;
              },
            },
          },
        ]);

        const failing = machines.start('fails', {});
        const waiting = machines.start('waits', {});
        const mapFailing = machines.start('map-fails', [1, 2, 3]);
        machines.stop(waiting);
        await Promise.all([failing, waiting, mapFailing].map((id) => finished(machines, id)));
        await delay(20);

        expect(machines.describe(mapFailing)).toMatchObject({ status: 'FAILED', error: 'RangeError' });
        expect(unhandled).toEqual([]);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
    });
  });

  describe('stop', () => {
    it("aborts the running handler's signal and marks the execution ABORTED, never running the next state", async () => {
      const started = deferred();
      let signal: AbortSignal | undefined;
      let nextStateRan = false;
      const machines = localMachines([
        {
          name: 'long-job',
          definition: {
            StartAt: 'Work',
            States: {
              Work: { Type: 'Task', Resource: lambda('work'), Next: 'Notify' },
              Notify: { Type: 'Task', Resource: lambda('notify'), End: true },
            },
          },
          tasks: {
            Work: async (_input, context) => {
              signal = context.signal;
              started.resolve();
              await whenAborted(context.signal);
              return 'finished anyway';
            },
            Notify: async () => {
              nextStateRan = true;
              return null;
            },
          },
        },
      ]);
      const id = machines.start('long-job', {});
      await settlesWithin(started.promise, 5_000, 'the Work handler starting');

      expect(machines.stop(id, 'cancelled by the user')).toBe(true);

      expect(signal?.aborted).toBe(true);
      expect(machines.describe(id)?.status).toBe('ABORTED');
      const result = await finished(machines, id);
      await delay(20);
      expect(result).toMatchObject({ status: 'ABORTED', cause: 'cancelled by the user' });
      expect(result?.output).toBeUndefined();
      expect(nextStateRan).toBe(false);
      expect(eventsOf(machines, id).at(-1)).toMatchObject({
        type: 'ExecutionAborted',
        cause: 'cancelled by the user',
      });
    });

    it('returns false for a finished or unknown execution', async () => {
      const machines = localMachines([singleTask('quick', async () => 'done')]);
      const id = machines.start('quick', {});
      await finished(machines, id);

      expect(machines.stop(id)).toBe(false);
      expect(machines.stop('arn:aws:states:local:000000000000:execution:quick:nope')).toBe(false);
      expect(machines.describe(id)?.status).toBe('SUCCEEDED');
    });

    it('does not call a handler again when a Retry was waiting as the execution stopped', async () => {
      let calls = 0;
      const failedOnce = deferred();
      const machines = localMachines(
        [
          singleTask(
            'retrying',
            async () => {
              calls++;
              failedOnce.resolve();
              throw new Error('flaky');
            },
            { Retry: [{ ErrorEquals: ['States.ALL'], IntervalSeconds: 30, MaxAttempts: 3 }] },
          ),
        ],
        { retryIntervalScale: 1 },
      );
      const id = machines.start('retrying', {});
      await settlesWithin(failedOnce.promise, 5_000, 'the first attempt failing');
      await delay(10);

      machines.stop(id);
      await finished(machines, id);
      await delay(20);

      expect(calls).toBe(1);
    });

    it('aborts the signals of handlers a failed Map left running once the execution ends', async () => {
      const waiting = deferred();
      let leftBehind: AbortSignal | undefined;
      const machines = localMachines([
        {
          name: 'map',
          definition: {
            StartAt: 'Each',
            States: {
              Each: {
                Type: 'Map',
                MaxConcurrency: 2,
                ItemProcessor: {
                  StartAt: 'Item',
                  States: { Item: { Type: 'Task', Resource: lambda('i'), End: true } },
                },
                End: true,
              },
            },
          },
          tasks: {
            Item: async (input, context) => {
              if (input === 'slow') {
                leftBehind = context.signal;
                waiting.resolve();
                await whenAborted(context.signal);
                return 'late';
              }
              await waiting.promise;
              throw new Error('item failed');
            },
          },
        },
      ]);

      const result = await finished(machines, machines.start('map', ['slow', 'failing']));

      expect(result?.status).toBe('FAILED');
      expect(leftBehind?.aborted).toBe(true);
    });
  });

  describe('starting', () => {
    it('rejects the name of a finished execution, and of a running one with another input, as ExecutionAlreadyExists', async () => {
      const release = deferred();
      const machines = localMachines([
        singleTask('job', () => release.promise.then(() => 'done')),
        singleTask('other-job', async () => 'done'),
      ]);
      const id = machines.start('job', { documentId: 'd-1' }, { name: 'job-1' });

      expect(machines.start('job', { documentId: 'd-1' }, { name: 'job-1' })).toBe(id);
      expect(() => machines.start('job', { documentId: 'd-2' }, { name: 'job-1' })).toThrow(
        ExecutionAlreadyExistsError,
      );
      release.resolve();
      await finished(machines, id);

      expect(() => machines.start('job', { documentId: 'd-1' }, { name: 'job-1' })).toThrow(
        ExecutionAlreadyExistsError,
      );
      expect(machines.start('other-job', {}, { name: 'job-1' })).toContain(':other-job:job-1');
    });

    it('refuses an unknown machine, an invalid name and an input that is not JSON', () => {
      const machines = localMachines([singleTask('job', async () => 'done')]);

      expect(() => machines.start('nope', {})).toThrow(StateMachineDoesNotExistError);
      expect(() => machines.start('job', {}, { name: 'has space' })).toThrow(InvalidNameError);
      expect(() => machines.start('job', {}, { name: 'x'.repeat(81) })).toThrow(InvalidNameError);
      expect(() => machines.start('job', { size: 10n })).toThrow(InvalidExecutionInputError);
      expect(() => machines.start('job', { text: 'x'.repeat(256 * 1024) })).toThrow(
        InvalidExecutionInputError,
      );
    });

    it('gives an execution without a name a UUID and without input {}', async () => {
      const inputs: unknown[] = [];
      const machines = localMachines([
        singleTask('job', async (input) => {
          inputs.push(input);
          return 'done';
        }),
      ]);

      const id = machines.start('job', undefined);
      await finished(machines, id);

      expect(id).toMatch(/:execution:job:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(inputs).toEqual([{}]);
    });
  });

  describe('definitions', () => {
    it('refuses an invalid definition with an error naming the machine', () => {
      const construct = () =>
        new LocalStateMachines({
          machines: [{ name: 'broken-flow', definition: { StartAt: 'Missing', States: {} }, tasks: {} }],
        });

      expect(construct).toThrow(InvalidStateMachineDefinitionError);
      expect(construct).toThrow(/state machine "broken-flow": .*Missing/s);
    });

    it('refuses a Task state without a handler, nested ones included, and a handler for no Task state', () => {
      const definition = {
        StartAt: 'Each',
        States: {
          Each: {
            Type: 'Map',
            ItemProcessor: {
              StartAt: 'Item',
              States: { Item: { Type: 'Task', Resource: lambda('i'), End: true } },
            },
            End: true,
          },
        },
      };
      const handler = async () => null;

      expect(() => new LocalStateMachines({ machines: [{ name: 'm', definition, tasks: {} }] })).toThrow(
        /state machine "m": Task states without a local handler .*: Item/,
      );
      expect(
        () =>
          new LocalStateMachines({
            machines: [{ name: 'm', definition, tasks: { Item: handler, Itme: handler } }],
          }),
      ).toThrow(/state machine "m": local handlers for no Task state: Itme/);
    });

    it('refuses JSONata and variables, which the library would silently ignore', () => {
      const jsonata = {
        QueryLanguage: 'JSONata',
        StartAt: 'P',
        States: { P: { Type: 'Pass', Output: '{% $states.input %}', End: true } },
      };
      const variables = { StartAt: 'P', States: { P: { Type: 'Pass', Assign: { count: 1 }, End: true } } };

      expect(
        () => new LocalStateMachines({ machines: [{ name: 'j', definition: jsonata, tasks: {} }] }),
      ).toThrow(/state machine "j": .*JSONata/);
      expect(
        () => new LocalStateMachines({ machines: [{ name: 'v', definition: variables, tasks: {} }] }),
      ).toThrow(/state machine "v": .*Assign/);
    });

    it('adds machines after construction, checked as the constructor checks them, and never one name twice', async () => {
      const machines = localMachines([]);
      machines.add(singleTask('later', async () => ({ added: true })));

      const id = machines.start('later', {});
      await expect(finished(machines, id)).resolves.toMatchObject({
        status: 'SUCCEEDED',
        output: { added: true },
      });
      expect(() => machines.add(singleTask('later', async () => null))).toThrow(/"later" is given twice/);
      expect(() =>
        machines.add({ name: 'broken', definition: { StartAt: 'Missing', States: {} }, tasks: {} }),
      ).toThrow(InvalidStateMachineDefinitionError);
      await machines.close();
      expect(() => machines.add(singleTask('too-late', async () => null))).toThrow(
        LocalStateMachinesClosedError,
      );
    });

    it('does not change the definition it is given', () => {
      const definition = {
        StartAt: 'Run',
        States: { Run: { Type: 'Task', Resource: lambda('r'), Retry: [{ ErrorEquals: ['X'] }], End: true } },
      };
      const before = JSON.stringify(definition);

      localMachines([{ name: 'r', definition, tasks: { Run: async () => null } }]);

      expect(JSON.stringify(definition)).toBe(before);
    });
  });

  describe('history', () => {
    it('lists executions newest first with the states entered, their inputs and outputs, and the failure', async () => {
      const machines = localMachines([
        {
          name: 'order',
          definition: {
            StartAt: 'Load order',
            States: {
              'Load order': { Type: 'Task', Resource: lambda('load'), ResultPath: '$.order', Next: 'Charge' },
              Charge: { Type: 'Task', Resource: lambda('charge'), End: true },
            },
          },
          tasks: {
            'Load order': async () => ({ total: 1200 }),
            Charge: async () => {
              throw namedError('PaymentDeclined', 'card expired');
            },
          },
        },
      ]);
      const first = machines.start('order', { orderId: 'o-1' }, { name: 'first' });
      await finished(machines, first);
      const second = machines.start('order', { orderId: 'o-2' }, { name: 'second' });
      await finished(machines, second);

      const { executions } = machines.listing();

      expect(executions.map((execution) => execution.name)).toEqual(['second', 'first']);
      expect(executions[0]).toMatchObject({
        status: 'FAILED',
        error: 'PaymentDeclined',
        input: { orderId: 'o-2' },
      });
      const events = executions[0]?.events ?? [];
      expect(events.map((event) => [event.type, event.state])).toEqual([
        ['ExecutionStarted', undefined],
        ['StateEntered', 'Load order'],
        ['StateExited', 'Load order'],
        ['StateEntered', 'Charge'],
        ['StateFailed', 'Charge'],
        ['ExecutionFailed', undefined],
      ]);
      expect(events[1]).toMatchObject({ input: { orderId: 'o-2' } });
      expect(events[2]).toMatchObject({ output: { orderId: 'o-2', order: { total: 1200 } } });
      expect(events[4]).toMatchObject({ error: 'PaymentDeclined' });
      expect(events[5]).toMatchObject({ error: 'PaymentDeclined' });
    });

    it('forgets the oldest finished executions over the history limit and counts them', async () => {
      const machines = localMachines([singleTask('job', async () => 'done')], { historyLimit: 2 });
      const ids: string[] = [];
      for (const name of ['a', 'b', 'c']) {
        const id = machines.start('job', {}, { name });
        ids.push(id);
        await finished(machines, id);
      }

      const listing = machines.listing();

      expect(listing.executions.map((execution) => execution.name)).toEqual(['c', 'b']);
      expect(listing.dropped).toBe(1);
      expect(machines.describe(ids[0] ?? '')).toBeUndefined();
      expect(machines.start('job', {}, { name: 'a' })).toBe(ids[0]);
    });

    it('never forgets a running execution, however far over the limit', async () => {
      const release = deferred();
      const machines = localMachines(
        [
          singleTask('slow', () => release.promise.then(() => 'done')),
          singleTask('quick', async () => 'done'),
        ],
        { historyLimit: 1 },
      );
      const slow = machines.start('slow', {});
      const quick = machines.start('quick', {});
      await finished(machines, quick);

      expect(machines.describe(slow)?.status).toBe('RUNNING');
      expect(machines.describe(quick)).toBeUndefined();
      expect(machines.listing().dropped).toBe(1);
      release.resolve();
      await finished(machines, slow);
    });

    it('keeps the first and the latest events of a long execution and counts those between', async () => {
      const states = Object.fromEntries(
        [1, 2, 3, 4, 5].map((n) => [
          `Step ${n}`,
          n < 5 ? { Type: 'Pass', Next: `Step ${n + 1}` } : { Type: 'Pass', End: true },
        ]),
      );
      const machines = localMachines(
        [{ name: 'steps', definition: { StartAt: 'Step 1', States: states }, tasks: {} }],
        {
          maxEventsPerExecution: 4,
        },
      );

      const id = machines.start('steps', {});
      await finished(machines, id);
      const [listed] = machines.listing().executions;

      expect(listed?.events.map((event) => [event.type, event.state])).toEqual([
        ['ExecutionStarted', undefined],
        ['StateEntered', 'Step 1'],
        ['StateExited', 'Step 5'],
        ['ExecutionSucceeded', undefined],
      ]);
      expect(listed?.eventsDropped).toBe(8);
    });

    it('truncates large payloads in the listing but describes them whole', async () => {
      const page = 'ま'.repeat(5_000);
      const machines = localMachines([singleTask('ocr', async () => ({ page }))], { maxPayloadBytes: 1_024 });

      const id = machines.start('ocr', {});
      await finished(machines, id);
      const [listed] = machines.listing().executions;
      const exited = listed?.events.find((event) => event.type === 'StateExited');

      expect(machines.describe(id)?.output).toEqual({ page });
      const truncated: TruncatedPayload = { truncated: true, bytes: 15_011, preview: expect.any(String) };
      expect(listed?.output).toEqual(truncated);
      expect(exited?.output).toEqual(truncated);
      expect(JSON.stringify(listed).length).toBeLessThan(5_000);
    });
  });

  describe('close', () => {
    it('waits for running executions to finish', async () => {
      const machines = localMachines([singleTask('job', () => delay(30).then(() => 'done'))]);
      const id = machines.start('job', {});

      await settlesWithin(machines.close(5_000), 5_000, 'close');

      expect(machines.describe(id)?.status).toBe('SUCCEEDED');
      expect(() => machines.start('job', {})).toThrow(LocalStateMachinesClosedError);
    });

    it('stops the executions still running after its timeout and waits for their handlers', async () => {
      let handlerSettled = false;
      const machines = localMachines([
        singleTask('stuck', async (_input, context) => {
          await whenAborted(context.signal);
          await delay(10);
          handlerSettled = true;
          return 'late';
        }),
      ]);
      const id = machines.start('stuck', {});

      await settlesWithin(machines.close(50), 5_000, 'close');

      expect(machines.describe(id)).toMatchObject({
        status: 'ABORTED',
        cause: 'the local state machines were closed',
      });
      expect(handlerSettled).toBe(true);
    });
  });
});
