import {
  type HistoryEvent,
  ListExecutionsCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { readHistory as readExecutionHistory } from '../functions/domain/executions.js';

/** What an execution's history says about billing and payload sizes. */
export interface HistoryFacts {
  /** States entered plus retries: what Standard workflows bill. */
  readonly transitions: number;
  readonly retries: number;
  /** The largest input, output or parameters of any event, in bytes. */
  readonly largestPayloadBytes: number;
  /** ms from ExecutionStarted to the last event. */
  readonly durationMs: number;
}

const DATA_MEMBERS = ['input', 'output', 'parameters'] as const;

const payloadBytes = (event: HistoryEvent): number => {
  let largest = 0;
  for (const [member, details] of Object.entries(event)) {
    if (!member.endsWith('EventDetails') || !details) continue;
    for (const name of DATA_MEMBERS) {
      const value = (details as Record<string, unknown>)[name];
      if (typeof value === 'string') {
        largest = Math.max(largest, Buffer.byteLength(value));
      }
    }
  }

  return largest;
};

/**
 * Step Functions bills a transition each time a state runs, and each retry
 * as one more; a Task's retries show as more Scheduled events than Task
 * states entered.
 */
export const factsOf = (events: readonly HistoryEvent[]): HistoryFacts => {
  const types = events.map((event) => event.type ?? '');
  const entered = types.filter((type) => type.endsWith('StateEntered'));
  const taskEntered = entered.filter((type) => type === 'TaskStateEntered');
  const scheduled = types.filter((type) => type.endsWith('Scheduled'));
  const retries = Math.max(0, scheduled.length - taskEntered.length);
  const times = events.map((event) => event.timestamp?.getTime() ?? 0);

  return {
    transitions: entered.length + retries,
    retries,
    largestPayloadBytes: Math.max(0, ...events.map(payloadBytes)),
    durationMs: Math.max(...times) - Math.min(...times),
  };
};

/** Reads a whole execution history, with its data. */
export const readHistory = (
  sfn: SFNClient,
  executionArn: string,
): Promise<HistoryEvent[]> =>
  readExecutionHistory(executionArn, { withData: true, client: sfn });

/** Every execution of a state machine, as ListExecutions returns them. */
export const listExecutionArns = async (
  sfn: SFNClient,
  stateMachineArn: string,
): Promise<{ arn: string; status: string }[]> => {
  const found: { arn: string; status: string }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn,
        nextToken,
        maxResults: 1000,
      }),
    );
    for (const execution of page.executions ?? []) {
      found.push({
        arn: execution.executionArn ?? '',
        status: execution.status ?? '',
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);

  return found;
};

/** The ARN of a template's state machine on the local stack. */
export const machineArnOf = (templateId: string): string =>
  `${process.env.STATE_MACHINE_ARN_PREFIX ?? ''}${templateId}`;

/** Picks `count` items spread evenly over a list. */
export const spreadSample = <T>(items: readonly T[], count: number): T[] => {
  if (items.length <= count) return [...items];
  const step = items.length / count;

  return Array.from(
    { length: count },
    (_, index) => items[Math.floor(index * step)] as T,
  );
};
