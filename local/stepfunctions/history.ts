import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { StateMachine } from 'aws-local-stepfunctions';
import { toWireTime, type Wire } from './protocol.js';
import { type TaskCall, type TaskTarget, taskTargetOf } from './tasks.js';

/** A history event as GetExecutionHistory sends it. */
export type WireHistoryEvent = Wire<HistoryEvent>;

/** The `*EventDetails` members of a history event. */
export type EventDetails = Omit<
  WireHistoryEvent,
  'timestamp' | 'type' | 'id' | 'previousEventId'
>;

type LibraryEvents = ReturnType<StateMachine['run']>['eventLogs'];

/** One entry of aws-local-stepfunctions' event log. */
export type LibraryEvent =
  LibraryEvents extends AsyncGenerator<infer E> ? E : never;

type StateEvent = Extract<LibraryEvent, { state: unknown }>;
type StateFailedEvent = Extract<LibraryEvent, { type: 'StateFailed' }>;
type MappedEvent = [HistoryEventType, EventDetails];

/** What a recorder needs to know about the execution it writes the history of. */
export interface HistoryContext {
  /** Task state name → Resource. */
  tasks: ReadonlyMap<string, string>;
  region: string;
  roleArn: string;
}

const NOT_TRUNCATED = { truncated: false } as const;

const MAP_ITERATION_MEMBERS = {
  MapIterationStarted: 'mapIterationStartedEventDetails',
  MapIterationSucceeded: 'mapIterationSucceededEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
} as const;

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function causeText(cause: unknown): string {
  return typeof cause === 'string' ? cause : json(cause);
}

function stateKey(event: StateEvent): string {
  return `${event.state.name}#${event.index ?? ''}`;
}

/** Appends an event, numbered after the last one, to a history. */
export function appendHistoryEvent(
  events: WireHistoryEvent[],
  type: HistoryEventType,
  details: EventDetails,
  epochMs = Date.now(),
): void {
  const id = events.length + 1;
  const timestamp = toWireTime(epochMs);
  events.push({ timestamp, type, id, previousEventId: id - 1, ...details });
}

// Events of the execution itself and of Map iterations map one to one.
function executionEvent(
  event: LibraryEvent,
  roleArn: string,
): MappedEvent | undefined {
  switch (event.type) {
    case 'ExecutionStarted': {
      const input = json(event.input);
      const details = { input, inputDetails: NOT_TRUNCATED, roleArn };

      return ['ExecutionStarted', { executionStartedEventDetails: details }];
    }
    case 'ExecutionSucceeded': {
      const details = {
        output: json(event.output),
        outputDetails: NOT_TRUNCATED,
      };

      return [
        'ExecutionSucceeded',
        { executionSucceededEventDetails: details },
      ];
    }
    case 'ExecutionFailed': {
      const details = { error: event.Error, cause: causeText(event.Cause) };

      return ['ExecutionFailed', { executionFailedEventDetails: details }];
    }
    case 'ExecutionAborted':
      return ['ExecutionAborted', { executionAbortedEventDetails: {} }];
    case 'ExecutionTimeout': {
      const details = { error: 'States.Timeout' };

      return ['ExecutionTimedOut', { executionTimedOutEventDetails: details }];
    }
    case 'MapIterationStarted':
    case 'MapIterationSucceeded':
    case 'MapIterationFailed': {
      const details = { name: event.parentState.name, index: event.index };

      return [event.type, { [MAP_ITERATION_MEMBERS[event.type]]: details }];
    }
    default:
      return undefined;
  }
}

function scheduledEvents(
  target: TaskTarget,
  call: TaskCall,
  region: string,
): MappedEvent[] {
  if (target.kind === 'function') {
    const input = json(call.input);
    const details = {
      resource: target.functionArn,
      input,
      inputDetails: NOT_TRUNCATED,
    };

    return [
      [
        'LambdaFunctionScheduled',
        { lambdaFunctionScheduledEventDetails: details },
      ],
      ['LambdaFunctionStarted', {}],
    ];
  }
  const { resourceType, resource } = target;
  const parameters = json(call.input);
  const scheduled = { resourceType, resource, region, parameters };

  return [
    ['TaskScheduled', { taskScheduledEventDetails: scheduled }],
    ['TaskStarted', { taskStartedEventDetails: { resourceType, resource } }],
  ];
}

function succeededEvent(target: TaskTarget, call: TaskCall): MappedEvent {
  const output = json(call.output);
  if (target.kind === 'function') {
    const details = { output, outputDetails: NOT_TRUNCATED };

    return [
      'LambdaFunctionSucceeded',
      { lambdaFunctionSucceededEventDetails: details },
    ];
  }
  const { resourceType, resource } = target;
  const details = {
    resourceType,
    resource,
    output,
    outputDetails: NOT_TRUNCATED,
  };

  return ['TaskSucceeded', { taskSucceededEventDetails: details }];
}

function failedEvent(target: TaskTarget, event: StateFailedEvent): MappedEvent {
  const failure = { error: event.Error, cause: causeText(event.Cause) };
  const timedOut = event.Error === 'States.Timeout';
  if (target.kind === 'function') {
    return timedOut
      ? [
          'LambdaFunctionTimedOut',
          { lambdaFunctionTimedOutEventDetails: failure },
        ]
      : ['LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: failure }];
  }
  const { resourceType, resource } = target;
  const details = { resourceType, resource, ...failure };

  return timedOut
    ? ['TaskTimedOut', { taskTimedOutEventDetails: details }]
    : ['TaskFailed', { taskFailedEventDetails: details }];
}

/**
 * Writes one execution's history in the AWS format from the library's event log and from
 * the calls its Task handlers report. Lambda function ARNs give LambdaFunction* events and
 * service integrations (`lambda:invoke`) give Task* events, as on AWS.
 *
 * A Task call is matched to the state's next Entered or Retried event by state name, so in
 * a Map whose iterations run the same Task at once the scheduled inputs of two iterations
 * may be swapped: the library's log does not say which iteration made a call.
 */
export class HistoryRecorder {
  private closed = false;
  private readonly queuedCalls = new Map<string, TaskCall[]>();
  private readonly currentCalls = new Map<string, TaskCall>();
  private readonly failedStates = new Set<string>();

  constructor(
    readonly events: WireHistoryEvent[],
    private readonly context: HistoryContext,
  ) {}

  /** Queues a Task call; the next Entered or Retried event of that state takes it. */
  recordCall(stateName: string, call: TaskCall): void {
    const queue = this.queuedCalls.get(stateName);
    if (queue) queue.push(call);
    else this.queuedCalls.set(stateName, [call]);
  }

  /** Appends an event the endpoint writes itself (stop, shutdown) and ends the history. */
  close(type: HistoryEventType, details: EventDetails): void {
    appendHistoryEvent(this.events, type, details);
    this.closed = true;
  }

  /** Maps one library event to AWS history events. */
  apply(event: LibraryEvent): void {
    if (this.closed) return;
    const mapped = executionEvent(event, this.context.roleArn);
    if (mapped) {
      this.add(event.timestamp, mapped);

      return;
    }
    if (event.type === 'StateEntered') this.enterState(event);
    if (event.type === 'StateExited') this.exitState(event);
    if (event.type === 'StateFailed') this.failState(event);
    if (event.type === 'StateRetried') this.retryState(event);
    // StateCaught and ParallelBranch* have no AWS history event of their own.
  }

  private add(epochMs: number, ...mapped: MappedEvent[]): void {
    for (const [type, details] of mapped) {
      appendHistoryEvent(this.events, type, details, epochMs);
    }
  }

  private targetOf(event: StateEvent): TaskTarget {
    return taskTargetOf(this.context.tasks.get(event.state.name) ?? '');
  }

  private enterState(event: StateEvent): void {
    const { name, type, input } = event.state;
    const details = { name, input: json(input), inputDetails: NOT_TRUNCATED };
    this.add(event.timestamp, [
      `${type}StateEntered`,
      { stateEnteredEventDetails: details },
    ]);
    if (type === 'Task') this.scheduleTask(event);
    if (type === 'Parallel') {
      this.add(event.timestamp, ['ParallelStateStarted', {}]);
    }
  }

  private exitState(event: StateEvent): void {
    const { name, type, output } = event.state;
    const failed = this.failedStates.delete(stateKey(event));
    if (type === 'Task') this.finishTask(event);
    if ((type === 'Map' || type === 'Parallel') && !failed) {
      this.add(event.timestamp, [`${type}StateSucceeded`, {}]);
    }
    // A Fail state never exits, so this always names a real event type.
    const exitType = `${type}StateExited` as HistoryEventType;
    const details = {
      name,
      output: json(output),
      outputDetails: NOT_TRUNCATED,
    };
    this.add(event.timestamp, [exitType, { stateExitedEventDetails: details }]);
  }

  private failState(event: StateFailedEvent): void {
    const { type } = event.state;
    this.failedStates.add(stateKey(event));
    if (type === 'Map' || type === 'Parallel') {
      this.add(event.timestamp, [`${type}StateFailed`, {}]);
    }
    if (type === 'Task' && this.currentCalls.delete(stateKey(event))) {
      this.add(event.timestamp, failedEvent(this.targetOf(event), event));
    }
  }

  private retryState(event: StateEvent): void {
    this.failedStates.delete(stateKey(event));
    if (event.state.type === 'Task') this.scheduleTask(event);
  }

  private scheduleTask(event: StateEvent): void {
    const call = this.queuedCalls.get(event.state.name)?.shift();
    if (!call) return;
    this.currentCalls.set(stateKey(event), call);
    const events = scheduledEvents(
      this.targetOf(event),
      call,
      this.context.region,
    );
    this.add(event.timestamp, ...events);
  }

  private finishTask(event: StateEvent): void {
    const key = stateKey(event);
    const call = this.currentCalls.get(key);
    if (!call) return;
    this.currentCalls.delete(key);
    this.add(event.timestamp, succeededEvent(this.targetOf(event), call));
  }
}
