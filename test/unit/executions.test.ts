import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { stepsFrom } from '../../functions/domain/executions.js';

const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 9, 0, second));

const entered = (name: string, second: number): HistoryEvent => ({
  type: 'TaskStateEntered',
  timestamp: at(second),
  id: second,
  stateEnteredEventDetails: { name },
});
const exited = (name: string, second: number): HistoryEvent => ({
  type: 'TaskStateExited',
  timestamp: at(second),
  id: second,
  stateExitedEventDetails: { name },
});
const event = (type: string, second: number): HistoryEvent => ({
  type: type as HistoryEvent['type'],
  timestamp: at(second),
  id: second,
});

describe('stepsFrom', () => {
  it('lists each state entered with its times, in order', () => {
    const steps = stepsFrom([
      entered('GetCase', 1),
      exited('GetCase', 2),
      entered('EmailManager', 3),
    ]);

    expect(steps).toEqual([
      {
        name: 'GetCase',
        status: 'succeeded',
        enteredAt: at(1).toISOString(),
        exitedAt: at(2).toISOString(),
      },
      {
        name: 'EmailManager',
        status: 'running',
        enteredAt: at(3).toISOString(),
      },
    ]);
  });

  it('shows a step that failed once and then succeeded on retry as succeeded', () => {
    const steps = stepsFrom([
      entered('EmailManager', 1),
      event('LambdaFunctionScheduled', 1),
      event('LambdaFunctionFailed', 2),
      event('LambdaFunctionScheduled', 3),
      event('LambdaFunctionSucceeded', 4),
      exited('EmailManager', 5),
    ]);

    expect(steps[0]?.status).toBe('succeeded');
  });

  it('shows a step whose last attempt failed as failed', () => {
    const steps = stepsFrom([
      entered('CreateRecord', 1),
      event('LambdaFunctionScheduled', 1),
      event('LambdaFunctionFailed', 2),
      exited('CreateRecord', 3),
      entered('RecordFailure', 4),
    ]);

    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ['CreateRecord', 'failed'],
      ['RecordFailure', 'running'],
    ]);
  });

  it('closes a Fail state as failed when it is entered', () => {
    const steps = stepsFrom([
      entered('RecordFailure', 1),
      exited('RecordFailure', 2),
      { ...entered('Failed', 3), type: 'FailStateEntered' },
      event('ExecutionFailed', 3),
    ]);

    expect(steps.map((s) => [s.name, s.status, s.exitedAt])).toEqual([
      ['RecordFailure', 'succeeded', at(2).toISOString()],
      ['Failed', 'failed', at(3).toISOString()],
    ]);
  });

  it('closes a Succeed state as succeeded when it is entered', () => {
    const steps = stepsFrom([
      { ...entered('Done', 1), type: 'SucceedStateEntered' },
    ]);

    expect(steps).toEqual([
      {
        name: 'Done',
        status: 'succeeded',
        enteredAt: at(1).toISOString(),
        exitedAt: at(1).toISOString(),
      },
    ]);
  });

  it.each([
    ['ExecutionFailed', 'failed'],
    ['ExecutionTimedOut', 'failed'],
    ['ExecutionAborted', 'stopped'],
    ['ExecutionSucceeded', 'succeeded'],
  ])(
    'closes a step still open when the execution ends with %s',
    (type, status) => {
      const steps = stepsFrom([
        { ...entered('WaitForDeadline', 1), type: 'WaitStateEntered' },
        event(type, 9),
      ]);

      expect(steps).toEqual([
        {
          name: 'WaitForDeadline',
          status,
          enteredAt: at(1).toISOString(),
          exitedAt: at(9).toISOString(),
        },
      ]);
    },
  );

  it('keeps a failed step failed when the execution ends', () => {
    const steps = stepsFrom([
      entered('CreateRecord', 1),
      event('LambdaFunctionScheduled', 1),
      event('LambdaFunctionFailed', 2),
      event('ExecutionFailed', 3),
    ]);

    expect(steps[0]?.status).toBe('failed');
  });
});
