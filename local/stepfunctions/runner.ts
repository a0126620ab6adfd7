import type { ExecutionStatus } from '@aws-sdk/client-sfn';
import {
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  type StateMachine,
} from 'aws-local-stepfunctions';
import type { Activity } from './activity.js';
import type { CompiledDefinition } from './definitions.js';
import {
  HistoryRecorder,
  type LibraryEvent,
  type WireHistoryEvent,
} from './history.js';
import type { TaskHandlerFactory, TaskRunHooks } from './tasks.js';

type Overrides = NonNullable<RunOptions['overrides']>;
type TimeOverrides = Pick<
  Overrides,
  'waitTimeOverrides' | 'retryIntervalOverrides'
>;

/** How an execution ended, as DescribeExecution reports it. */
export type RunOutcome =
  | { status: Extract<ExecutionStatus, 'SUCCEEDED'>; output: string }
  | {
      status: Extract<ExecutionStatus, 'FAILED' | 'TIMED_OUT'>;
      error: string;
      cause: string;
    }
  | { status: Extract<ExecutionStatus, 'ABORTED'> };

/** What a run needs to know about its execution and state machine. */
export interface RunRequest {
  executionArn: string;
  executionName: string;
  stateMachineArn: string;
  stateMachineName: string;
  roleArn: string;
  startDate: number;
  input: unknown;
  /** The execution's history, which the run appends to. */
  history: WireHistoryEvent[];
}

/** One execution in progress. */
export interface RunningExecution {
  recorder: HistoryRecorder;
  abort(): void;
}

/** Settings shared by every run of one endpoint. */
export interface RunnerSettings {
  region: string;
  tasks: TaskHandlerFactory;
  activity: Activity;
  waitOverrideMs?: number;
  retryIntervalOverrideMs?: number;
}

function overrideEach(names: readonly string[], ms: number | undefined) {
  return ms === undefined
    ? undefined
    : Object.fromEntries(names.map((name) => [name, ms]));
}

function contextOf(request: RunRequest): RunOptions['context'] {
  return {
    Execution: {
      Id: request.executionArn,
      // `$$.Execution.Input`, as on AWS: custom flows read the run from it.
      Input: request.input as Parameters<StateMachine['run']>[0],
      Name: request.executionName,
      RoleArn: request.roleArn,
      StartTime: new Date(request.startDate).toISOString(),
    },
    StateMachine: {
      Id: request.stateMachineArn,
      Name: request.stateMachineName,
    },
  };
}

function failureOf(thrown: unknown): RunOutcome {
  if (thrown instanceof ExecutionTimeoutError) {
    return {
      status: 'TIMED_OUT',
      error: 'States.Timeout',
      cause: thrown.message,
    };
  }
  const error = thrown instanceof ExecutionError ? thrown.cause : thrown;
  if (error instanceof Error)
    return { status: 'FAILED', error: error.name, cause: error.message };

  return { status: 'FAILED', error: 'States.Runtime', cause: String(error) };
}

async function consume(
  events: AsyncGenerator<LibraryEvent>,
  recorder: HistoryRecorder,
) {
  try {
    for await (const event of events) recorder.apply(event);
  } catch (error) {
    process.emitWarning(
      `Local Step Functions lost history events: ${String(error)}`,
    );
  }
}

/** Starts executions with aws-local-stepfunctions and reports how each one ends. */
export class ExecutionRunner {
  private readonly timeOverrides = new WeakMap<
    CompiledDefinition,
    TimeOverrides
  >();

  constructor(private readonly settings: RunnerSettings) {}

  /** Starts a run in the background; `onEnd` gets its outcome once its history is complete. */
  start(
    request: RunRequest,
    compiled: CompiledDefinition,
    onEnd: (outcome: RunOutcome) => void,
  ): RunningExecution {
    const endActivity = this.settings.activity.begin();
    const controller = new AbortController();
    const recorder = new HistoryRecorder(request.history, {
      tasks: compiled.tasks,
      region: this.settings.region,
      roleArn: request.roleArn,
    });
    const run = compiled.machine.run(
      request.input as Parameters<typeof compiled.machine.run>[0],
      {
        overrides: this.overridesFor(
          compiled,
          this.hooksFor(controller.signal, recorder),
        ),
        context: contextOf(request),
        noThrowOnAbort: true,
      },
    );
    const outcome = run.result.then(
      (output): RunOutcome =>
        controller.signal.aborted
          ? { status: 'ABORTED' }
          : { status: 'SUCCEEDED', output: JSON.stringify(output) },
      failureOf,
    );
    Promise.all([outcome, consume(run.eventLogs, recorder)])
      .then(([ended]) => onEnd(ended))
      .catch((error: unknown) =>
        process.emitWarning(`Local Step Functions: ${String(error)}`),
      )
      .finally(endActivity);

    return {
      recorder,
      abort: () => {
        controller.abort();
        run.abort();
      },
    };
  }

  private hooksFor(
    signal: AbortSignal,
    recorder: HistoryRecorder,
  ): TaskRunHooks {
    return {
      signal,
      onCall: (stateName, call) => recorder.recordCall(stateName, call),
      track: () => this.settings.activity.begin(),
    };
  }

  private overridesFor(
    compiled: CompiledDefinition,
    hooks: TaskRunHooks,
  ): Overrides {
    let times = this.timeOverrides.get(compiled);
    if (!times) {
      const { waitOverrideMs, retryIntervalOverrideMs } = this.settings;
      times = {
        waitTimeOverrides: overrideEach(compiled.waitStates, waitOverrideMs),
        retryIntervalOverrides: overrideEach(
          compiled.retryStates,
          retryIntervalOverrideMs,
        ),
      };
      this.timeOverrides.set(compiled, times);
    }

    return {
      ...times,
      taskResourceLocalHandlers: this.settings.tasks.handlersFor(
        compiled.tasks,
        hooks,
      ),
    };
  }
}
