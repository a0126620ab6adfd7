import { randomUUID } from 'node:crypto';
import type { ExecutionStatus } from '@aws-sdk/client-sfn';
import type { CompiledDefinition } from './definitions.js';
import { appendHistoryEvent, type WireHistoryEvent } from './history.js';
import type { StateMachineRecord } from './machines.js';
import { assertValidName, SfnApiError, SfnErrorCode } from './protocol.js';
import type {
  ExecutionRunner,
  RunningExecution,
  RunOutcome,
} from './runner.js';
import { type JsonStore, StoreFolder } from './store.js';

/** An execution as DescribeExecution reports it, with its history; times in epoch ms. */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: WireHistoryEvent[];
}

/** The members of StartExecution this endpoint uses. */
export interface NewExecution {
  name?: string;
  input?: string;
}

/**
 * The cause given to executions that were running when the endpoint closed or the process
 * ended. They are not resumed: the library cannot restart a run in the middle of its states.
 */
export const INTERRUPTED_CAUSE =
  'The local stack stopped while this execution was running.';

/** Checks that a saved document has the members of an execution record. */
export function isExecutionRecord(
  document: unknown,
): document is ExecutionRecord {
  const record = document as Partial<ExecutionRecord> | null;

  return (
    typeof record?.executionArn === 'string' &&
    typeof record.stateMachineArn === 'string' &&
    typeof record.status === 'string' &&
    Array.isArray(record.history)
  );
}

function parseInput(input: string): unknown {
  try {
    return JSON.parse(input);
  } catch (error) {
    throw new SfnApiError(
      SfnErrorCode.InvalidExecutionInput,
      `Invalid State Machine Execution Input: '${(error as Error).message}'`,
    );
  }
}

function interrupt(record: ExecutionRecord): void {
  record.status = 'FAILED';
  record.stopDate = Date.now();
  record.error = 'States.Runtime';
  record.cause = INTERRUPTED_CAUSE;
}

function applyOutcome(record: ExecutionRecord, outcome: RunOutcome): void {
  record.stopDate = Date.now();
  record.status = outcome.status;
  if (outcome.status === 'SUCCEEDED') record.output = outcome.output;
  if (outcome.status === 'FAILED' || outcome.status === 'TIMED_OUT') {
    record.error = outcome.error;
    record.cause = outcome.cause;
  }
}

/**
 * Executions of one account and region. Finished executions stay in memory for the life of
 * the endpoint (and on disk when a data folder is set), as AWS keeps them for 90 days.
 */
export class ExecutionRegistry {
  private readonly byArn = new Map<string, ExecutionRecord>();
  private readonly byMachine = new Map<string, ExecutionRecord[]>();
  private readonly running = new Map<string, RunningExecution>();

  constructor(
    private readonly arnPrefix: string,
    private readonly runner: ExecutionRunner,
    private readonly store?: JsonStore,
  ) {}

  /** Adds executions read back from disk; those that were running become FAILED. */
  load(records: readonly ExecutionRecord[]): void {
    const oldestFirst = [...records].sort((a, b) => a.startDate - b.startDate);
    for (const record of oldestFirst) {
      if (record.status === 'RUNNING') {
        interrupt(record);
        appendHistoryEvent(record.history, 'ExecutionFailed', {
          executionFailedEventDetails: {
            error: record.error,
            cause: record.cause,
          },
        });
        this.save(record);
      }
      this.add(record);
    }
  }

  /**
   * Starts an execution. As on AWS Standard, the same name and input as a running execution
   * returns that execution; a name already used otherwise is ExecutionAlreadyExists.
   */
  start(
    machine: StateMachineRecord,
    compiled: CompiledDefinition,
    request: NewExecution,
  ): ExecutionRecord {
    const name = request.name ?? randomUUID();
    assertValidName(name);
    const input = request.input ?? '{}';
    const parsedInput = parseInput(input);
    const executionArn = `${this.arnPrefix}:execution:${machine.name}:${name}`;
    const existing = this.byArn.get(executionArn);
    if (existing) return this.sameOrConflict(existing, input);
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: Date.now(),
      input,
      history: [],
    };
    this.add(record);
    this.run(record, machine, compiled, parsedInput);
    this.save(record);

    return record;
  }

  /** Returns an execution or throws ExecutionDoesNotExist. */
  get(executionArn: string): ExecutionRecord {
    const record = this.byArn.get(executionArn);
    if (!record) {
      throw new SfnApiError(
        SfnErrorCode.ExecutionDoesNotExist,
        `Execution Does Not Exist: '${executionArn}'`,
      );
    }

    return record;
  }

  /** Whether any execution of this state machine is known. */
  hasExecutionsOf(stateMachineArn: string): boolean {
    return this.byMachine.has(stateMachineArn);
  }

  /** The executions of a state machine, newest first. */
  list(stateMachineArn: string): ExecutionRecord[] {
    return [...(this.byMachine.get(stateMachineArn) ?? [])].reverse();
  }

  /** Aborts a running execution; a finished one is left as it is. */
  stop(executionArn: string, error?: string, cause?: string): ExecutionRecord {
    const record = this.get(executionArn);
    const running = this.running.get(executionArn);
    if (record.status !== 'RUNNING' || !running) return record;
    record.status = 'ABORTED';
    record.stopDate = Date.now();
    record.error = error;
    record.cause = cause;
    running.recorder.close('ExecutionAborted', {
      executionAbortedEventDetails: { error, cause },
    });
    running.abort();
    this.save(record);

    return record;
  }

  /** Ends every running execution as FAILED with {@link INTERRUPTED_CAUSE}. */
  interruptAll(): void {
    for (const [executionArn, running] of this.running) {
      const record = this.get(executionArn);
      interrupt(record);
      running.recorder.close('ExecutionFailed', {
        executionFailedEventDetails: {
          error: record.error,
          cause: record.cause,
        },
      });
      running.abort();
      this.save(record);
    }
  }

  private run(
    record: ExecutionRecord,
    machine: StateMachineRecord,
    compiled: CompiledDefinition,
    input: unknown,
  ): void {
    const request = {
      executionArn: record.executionArn,
      executionName: record.name,
      stateMachineArn: machine.stateMachineArn,
      stateMachineName: machine.name,
      roleArn: machine.roleArn,
      startDate: record.startDate,
      input,
      history: record.history,
    };
    const running = this.runner.start(request, compiled, (outcome) => {
      this.running.delete(record.executionArn);
      if (record.status === 'RUNNING') applyOutcome(record, outcome);
      this.save(record);
    });
    this.running.set(record.executionArn, running);
  }

  private sameOrConflict(
    existing: ExecutionRecord,
    input: string,
  ): ExecutionRecord {
    if (existing.status === 'RUNNING' && existing.input === input)
      return existing;

    throw new SfnApiError(
      SfnErrorCode.ExecutionAlreadyExists,
      `Execution Already Exists: '${existing.executionArn}'`,
    );
  }

  private add(record: ExecutionRecord): void {
    this.byArn.set(record.executionArn, record);
    const list = this.byMachine.get(record.stateMachineArn);
    if (list) list.push(record);
    else this.byMachine.set(record.stateMachineArn, [record]);
  }

  private save(record: ExecutionRecord): void {
    const key = `${record.stateMachineArn.split(':').pop()}:${record.name}`;
    this.store?.save(StoreFolder.executions, key, record);
  }
}
