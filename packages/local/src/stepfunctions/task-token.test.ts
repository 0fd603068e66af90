import { settlesWithin } from '@mangaassist/commons/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type LocalStateMachineDefinition,
  LocalStateMachines,
  TaskDoesNotExistError,
} from './local-state-machines.js';
import type { LocalTaskHandler } from './task-handlers.js';

const opened: LocalStateMachines[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((machines) => machines.close(1_000)));
});

/** `Submit` invokes the function with the task token and waits for it; then `Done`. */
function callbackMachine(submit: LocalTaskHandler, task: object = {}): LocalStateMachineDefinition {
  return {
    name: 'batch',
    definition: {
      StartAt: 'Submit',
      States: {
        Submit: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: {
            FunctionName: 'arn:aws:lambda:ap-northeast-1:123456789012:function:steps',
            Payload: { step: 'submit', 'task_token.$': '$$.Task.Token', 'run_id.$': '$.run_id' },
          },
          ResultPath: '$.job',
          ...task,
          Next: 'Done',
        },
        Done: { Type: 'Succeed' },
        ...('Catch' in task ? { Caught: { Type: 'Pass', End: true } } : {}),
      },
    },
    tasks: { Submit: submit },
  };
}

function start(definition: LocalStateMachineDefinition) {
  const machines = new LocalStateMachines({ machines: [definition] });
  opened.push(machines);
  return { machines, id: machines.start(definition.name, { run_id: 'run-1' }) };
}

/** Records the tokens the function is given. */
function submitter() {
  const tokens: string[] = [];
  const payloads: unknown[] = [];
  const submit: LocalTaskHandler = async (input) => {
    payloads.push(input);
    const token = typeof input === 'object' && input !== null ? Reflect.get(input, 'task_token') : undefined;
    if (typeof token === 'string') tokens.push(token);
    return { submitted: true };
  };
  return { submit, tokens, payloads };
}

describe('a callback Task state (.waitForTaskToken), run locally', () => {
  it('gives the function a task token and waits until SendTaskSuccess names it, whose output is the result', async () => {
    const { submit, tokens, payloads } = submitter();
    const { machines, id } = start(callbackMachine(submit));
    await expect.poll(() => tokens.length).toBe(1);
    expect(payloads[0]).toEqual({ step: 'submit', task_token: tokens[0], run_id: 'run-1' });
    expect(machines.describe(id)?.status).toBe('RUNNING');

    machines.sendTaskSuccess(tokens[0] ?? '', { status: 'Completed' });
    // A token is good once, even before its execution has moved on.
    expect(() => machines.sendTaskSuccess(tokens[0] ?? '', { status: 'again' })).toThrow(
      TaskDoesNotExistError,
    );
    const ended = await settlesWithin(machines.finished(id), 5_000, 'the execution finishing');
    expect(ended).toMatchObject({
      status: 'SUCCEEDED',
      output: { run_id: 'run-1', job: { status: 'Completed' } },
    });
    // A token is good once.
    expect(() => machines.sendTaskSuccess(tokens[0] ?? '', {})).toThrow(TaskDoesNotExistError);
  });

  it('fails the state with SendTaskFailure’s error, which Catch sees', async () => {
    const { submit, tokens } = submitter();
    const { machines, id } = start(
      callbackMachine(submit, {
        Catch: [{ ErrorEquals: ['BatchJobFailed'], ResultPath: '$.failure', Next: 'Caught' }],
      }),
    );
    await expect.poll(() => tokens.length).toBe(1);
    machines.sendTaskFailure(tokens[0] ?? '', 'BatchJobFailed', 'the job expired');

    const ended = await settlesWithin(machines.finished(id), 5_000, 'the execution finishing');
    expect(ended).toMatchObject({
      status: 'SUCCEEDED',
      output: { failure: { Error: 'BatchJobFailed', Cause: 'the job expired' } },
    });
  });

  it('fails at once when the function fails, and forgets the token', async () => {
    const tokens: string[] = [];
    const { machines, id } = start(
      callbackMachine(async (input) => {
        const token =
          typeof input === 'object' && input !== null ? Reflect.get(input, 'task_token') : undefined;
        if (typeof token === 'string') tokens.push(token);
        throw Object.assign(new Error('no access'), { name: 'BatchAccessDenied' });
      }),
    );
    const ended = await settlesWithin(machines.finished(id), 5_000, 'the execution finishing');
    expect(ended).toMatchObject({ status: 'FAILED', error: 'BatchAccessDenied' });
    expect(() => machines.sendTaskSuccess(tokens[0] ?? '', {})).toThrow(TaskDoesNotExistError);
  });

  it('gives up waiting when the execution is stopped, and times out as the state says', async () => {
    const stopped = submitter();
    const first = start(callbackMachine(stopped.submit));
    await expect.poll(() => stopped.tokens.length).toBe(1);
    first.machines.stop(first.id, 'operator');
    expect(() => first.machines.sendTaskSuccess(stopped.tokens[0] ?? '', {})).toThrow(TaskDoesNotExistError);

    const timed = start(callbackMachine(submitter().submit, { TimeoutSeconds: 1 }));
    const ended = await settlesWithin(timed.machines.finished(timed.id), 5_000, 'the execution timing out');
    expect(ended).toMatchObject({ status: 'FAILED', error: 'States.Timeout' });
  });

  it('refuses an unknown token', () => {
    const { machines } = start(callbackMachine(submitter().submit));
    expect(() => machines.sendTaskFailure('no-such-token')).toThrow(TaskDoesNotExistError);
  });
});
