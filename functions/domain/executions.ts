import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
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

/** A state the run went through, with its times. */
export interface RunStep {
  readonly name: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly enteredAt: string;
  readonly exitedAt?: string;
}

export interface ExecutionView {
  readonly status: string;
  readonly startedAt?: string;
  readonly stoppedAt?: string;
  /** Why a failed execution failed: Step Functions' error name and cause. */
  readonly error?: string;
  readonly cause?: string;
  readonly steps: RunStep[];
}

/** Reads an execution and the states it went through, oldest first. */
export const describeExecution = async (
  executionArn: string,
): Promise<ExecutionView | undefined> => {
  try {
    const execution = await sfn.send(
      new DescribeExecutionCommand({ executionArn }),
    );
    const events = await readHistory(executionArn);

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

const readHistory = async (executionArn: string): Promise<HistoryEvent[]> => {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        nextToken,
        maxResults: 1000,
        includeExecutionData: false,
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

/** Folds history events into one step per state entered. */
export const stepsFrom = (events: readonly HistoryEvent[]): RunStep[] => {
  const steps: RunStep[] = [];
  const open = new Map<string, number>();
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp?.toISOString() ?? '';
    const entered = event.stateEnteredEventDetails?.name;
    const exited = event.stateExitedEventDetails?.name;
    if (type.endsWith('StateEntered') && entered) {
      open.set(entered, steps.length);
      steps.push({ name: entered, status: 'running', enteredAt: at });
    } else if (type.endsWith('StateExited') && exited) {
      const index = open.get(exited);
      const step = index === undefined ? undefined : steps[index];
      if (index !== undefined && step) {
        steps[index] = {
          ...step,
          status: step.status === 'failed' ? 'failed' : 'succeeded',
          exitedAt: at,
        };
      }
    } else if (/(TaskFailed|FunctionFailed|TimedOut)$/.test(type)) {
      markLastOpen(steps, 'failed');
    } else if (/Scheduled$/.test(type)) {
      // A retry schedules the task again: its earlier failure is not final.
      markLastOpen(steps, 'running');
    }
  }

  return steps;
};
