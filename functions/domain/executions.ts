import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { sfn } from './clients.js';
import { requiredSetting } from './config.js';
import { TransientError } from './errors.js';
import type { RunInput } from './runs.js';

/** ARN of a template's state machine in this deployment. */
export const templateMachineArn = (templateId: string): string =>
  `${requiredSetting('STATE_MACHINE_ARN_PREFIX')}${templateId}`;

/** The execution ARN Step Functions gives an execution named `name`. */
export const executionArnFor = (machineArn: string, name: string): string =>
  `${machineArn.replace(':stateMachine:', ':execution:')}:${name}`;

/**
 * Starts the execution named after the run. Step Functions treats a second
 * start with the same name and input as the same execution, so calling this
 * again after a crash starts nothing new.
 */
export const startExecution = async (
  machineArn: string,
  input: RunInput,
): Promise<string> => {
  try {
    const answer = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: machineArn,
        name: input.runId,
        input: JSON.stringify(input),
      }),
    );

    return answer.executionArn ?? executionArnFor(machineArn, input.runId);
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (name === 'ExecutionAlreadyExists') {
      return executionArnFor(machineArn, input.runId);
    }
    throw new TransientError(
      'Step Functions did not start the run; send the same request again',
      { cause: error },
    );
  }
};

/**
 * A state the run went through, with its times. A step the execution left
 * open when it was stopped is `stopped`; a finished run has no `running`
 * step.
 */
export interface RunStep {
  readonly name: string;
  readonly status: 'running' | 'succeeded' | 'failed' | 'stopped';
  readonly enteredAt: string;
  readonly exitedAt?: string;
}

/** An execution as a run shows it. */
export interface ExecutionView {
  readonly status: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  /** Why a failed execution failed: Step Functions' error name and cause. */
  readonly error?: string;
  readonly cause?: string;
  readonly steps: RunStep[];
}

/**
 * Reads an execution and the states it went through, oldest first. Without
 * `history`, only the execution (its steps are left empty): enough to tell
 * whether and how it ended.
 */
export const describeExecution = async (
  executionArn: string,
  { history = true }: { readonly history?: boolean } = {},
): Promise<ExecutionView | undefined> => {
  try {
    const execution = await sfn.send(
      new DescribeExecutionCommand({ executionArn }),
    );
    const events = history ? await readHistory(executionArn) : [];

    return {
      status: execution.status ?? 'UNKNOWN',
      startedAt: execution.startDate?.toISOString(),
      stoppedAt: execution.stopDate?.toISOString(),
      error: execution.error,
      cause: execution.cause,
      steps: stepsFrom(events),
    };
  } catch (error) {
    if (error instanceof ExecutionDoesNotExist) return undefined;
    throw error;
  }
};

/**
 * Reads a whole execution history, oldest first. Runs are shown without the
 * states' data (it may hold names); tools may ask for it and pass their own
 * client.
 */
export const readHistory = async (
  executionArn: string,
  options: { withData?: boolean; client?: SFNClient } = {},
): Promise<HistoryEvent[]> => {
  const client = options.client ?? sfn;
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        nextToken,
        maxResults: 1000,
        includeExecutionData: options.withData ?? false,
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);

  return events;
};

const markLastOpen = (steps: RunStep[], status: RunStep['status']): void => {
  const last = steps.findLastIndex((step) => step.exitedAt === undefined);
  const step = steps[last];
  if (step) steps[last] = { ...step, status };
};

/** How a step still open ends with the execution, by the ending event. */
const EXECUTION_ENDINGS: Record<string, RunStep['status']> = {
  ExecutionSucceeded: 'succeeded',
  ExecutionFailed: 'failed',
  ExecutionTimedOut: 'failed',
  ExecutionAborted: 'stopped',
};

/**
 * States that end the execution and have no exit event of their own: a
 * Fail state never exits, and a Succeed state ends as it is entered.
 */
const TERMINAL_STATES: Record<string, RunStep['status']> = {
  FailStateEntered: 'failed',
  SucceedStateEntered: 'succeeded',
};

const closeOpenSteps = (
  steps: RunStep[],
  status: RunStep['status'],
  at: string,
): void => {
  for (const [index, step] of steps.entries()) {
    if (step.exitedAt !== undefined) continue;
    const ended = step.status === 'failed' ? 'failed' : status;
    steps[index] = { ...step, status: ended, exitedAt: at };
  }
};

const exitStep = (
  steps: RunStep[],
  index: number | undefined,
  at: string,
): void => {
  const step = index === undefined ? undefined : steps[index];
  if (index === undefined || !step) return;
  steps[index] = {
    ...step,
    status: step.status === 'failed' ? 'failed' : 'succeeded',
    exitedAt: at,
  };
};

/**
 * Folds history events into one step per state entered. A Fail or Succeed
 * state is closed when it is entered, and whatever is still open when the
 * execution ends is closed with it, so a finished run shows no step as
 * running.
 */
export const stepsFrom = (events: readonly HistoryEvent[]): RunStep[] => {
  const steps: RunStep[] = [];
  const open = new Map<string, number>();
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp?.toISOString() ?? '';
    const entered = event.stateEnteredEventDetails?.name;
    const exited = event.stateExitedEventDetails?.name;
    const ending = EXECUTION_ENDINGS[type];
    if (ending) {
      closeOpenSteps(steps, ending, at);
    } else if (type.endsWith('StateEntered') && entered) {
      open.set(entered, steps.length);
      const terminal = TERMINAL_STATES[type];
      steps.push(
        terminal
          ? { name: entered, status: terminal, enteredAt: at, exitedAt: at }
          : { name: entered, status: 'running', enteredAt: at },
      );
    } else if (type.endsWith('StateExited') && exited) {
      exitStep(steps, open.get(exited), at);
    } else if (/(TaskFailed|FunctionFailed|TimedOut)$/.test(type)) {
      markLastOpen(steps, 'failed');
    } else if (/Scheduled$/.test(type)) {
      // A retry schedules the task again: its earlier failure is not final.
      markLastOpen(steps, 'running');
    }
  }

  return steps;
};
