import type {
  CreateStateMachineOutput,
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionListItem,
  ExecutionStatus,
  GetExecutionHistoryOutput,
  ListExecutionsOutput,
  ListStateMachinesOutput,
  StartExecutionOutput,
  StopExecutionOutput,
  UpdateStateMachineOutput,
} from '@aws-sdk/client-sfn';
import type { ExecutionRecord, ExecutionRegistry } from './executions.js';
import { type MachineRegistry, machineTypeOf } from './machines.js';
import {
  optionalBoolean,
  optionalInteger,
  optionalString,
  paginate,
  type RequestBody,
  requiredString,
  SfnApiError,
  SfnErrorCode,
  toWireTime,
  type Wire,
} from './protocol.js';

/** One API operation: a parsed request body in, a JSON response body out. */
export type Operation = (body: RequestBody) => unknown;

/** The registries the operations work on. */
export interface Registries {
  machines: MachineRegistry;
  executions: ExecutionRegistry;
}

const PAGE_LIMITS = { defaultSize: 100, maxSize: 1000 } as const;
const EXECUTION_STATUSES: readonly string[] = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
];

function pageRequest(body: RequestBody) {
  return {
    maxResults: optionalInteger(body, 'maxResults'),
    nextToken: optionalString(body, 'nextToken'),
  };
}

function statusFilterOf(body: RequestBody): ExecutionStatus | undefined {
  const status = optionalString(body, 'statusFilter');
  if (status !== undefined && !EXECUTION_STATUSES.includes(status)) {
    throw new SfnApiError(
      SfnErrorCode.ValidationException,
      `Invalid statusFilter: '${status}'`,
    );
  }

  return status as ExecutionStatus | undefined;
}

function describeExecution(
  record: ExecutionRecord,
): Wire<DescribeExecutionOutput> {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: toWireTime(record.startDate),
    stopDate:
      record.stopDate === undefined ? undefined : toWireTime(record.stopDate),
    input: record.input,
    inputDetails: { included: true },
    output: record.output,
    outputDetails: record.output === undefined ? undefined : { included: true },
    error: record.error,
    cause: record.cause,
    redriveCount: 0,
    redriveStatus: 'NOT_REDRIVABLE',
  };
}

function executionListItem(record: ExecutionRecord): Wire<ExecutionListItem> {
  const { executionArn, stateMachineArn, name, status } = record;

  return {
    executionArn,
    stateMachineArn,
    name,
    status,
    startDate: toWireTime(record.startDate),
    stopDate:
      record.stopDate === undefined ? undefined : toWireTime(record.stopDate),
    redriveCount: 0,
  };
}

type Handler = (registries: Registries, body: RequestBody) => unknown;

function createStateMachine(
  { machines }: Registries,
  body: RequestBody,
): Wire<CreateStateMachineOutput> {
  const record = machines.create({
    name: requiredString(body, 'name'),
    definition: requiredString(body, 'definition'),
    roleArn: requiredString(body, 'roleArn'),
    type: machineTypeOf(optionalString(body, 'type')),
  });

  return {
    stateMachineArn: record.stateMachineArn,
    creationDate: toWireTime(record.creationDate),
  };
}

function updateStateMachine(
  { machines }: Registries,
  body: RequestBody,
): Wire<UpdateStateMachineOutput> {
  const arn = requiredString(body, 'stateMachineArn');
  const changes = {
    definition: optionalString(body, 'definition'),
    roleArn: optionalString(body, 'roleArn'),
  };
  if (changes.definition === undefined && changes.roleArn === undefined) {
    throw new SfnApiError(
      SfnErrorCode.MissingRequiredParameter,
      'Either the definition or the roleArn must be specified',
    );
  }
  const record = machines.update(arn, changes);

  return {
    updateDate: toWireTime(record.updateDate ?? record.creationDate),
    revisionId: record.revisionId,
  };
}

function deleteStateMachine({ machines }: Registries, body: RequestBody) {
  machines.delete(requiredString(body, 'stateMachineArn'));

  return {};
}

function describeStateMachine(
  { machines }: Registries,
  body: RequestBody,
): Wire<DescribeStateMachineOutput> {
  const record = machines.get(requiredString(body, 'stateMachineArn'));

  return {
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: 'ACTIVE',
    definition: record.definition,
    roleArn: record.roleArn,
    type: record.type,
    creationDate: toWireTime(record.creationDate),
    revisionId: record.revisionId,
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
}

function listStateMachines(
  { machines }: Registries,
  body: RequestBody,
): Wire<ListStateMachinesOutput> {
  const page = paginate(machines.list(), pageRequest(body), PAGE_LIMITS);
  const stateMachines = page.items.map((record) => ({
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    type: record.type,
    creationDate: toWireTime(record.creationDate),
  }));

  return { stateMachines, nextToken: page.nextToken };
}

function startExecution(
  { machines, executions }: Registries,
  body: RequestBody,
): Wire<StartExecutionOutput> {
  const machine = machines.get(requiredString(body, 'stateMachineArn'));
  const record = executions.start(machine, machines.compiled(machine), {
    name: optionalString(body, 'name'),
    input: optionalString(body, 'input'),
  });

  return {
    executionArn: record.executionArn,
    startDate: toWireTime(record.startDate),
  };
}

function getExecutionHistory(
  { executions }: Registries,
  body: RequestBody,
): Wire<GetExecutionHistoryOutput> {
  const record = executions.get(requiredString(body, 'executionArn'));
  const events = optionalBoolean(body, 'reverseOrder')
    ? [...record.history].reverse()
    : record.history;
  const page = paginate(events, pageRequest(body), PAGE_LIMITS);

  return { events: page.items, nextToken: page.nextToken };
}

function listExecutions(
  { machines, executions }: Registries,
  body: RequestBody,
): Wire<ListExecutionsOutput> {
  const stateMachineArn = requiredString(body, 'stateMachineArn');
  // A deleted machine's executions stay listable, as on AWS.
  if (!executions.hasExecutionsOf(stateMachineArn)) {
    machines.get(stateMachineArn);
  }
  const status = statusFilterOf(body);
  const matching = executions
    .list(stateMachineArn)
    .filter((record) => status === undefined || record.status === status);
  const page = paginate(matching, pageRequest(body), PAGE_LIMITS);

  return {
    executions: page.items.map(executionListItem),
    nextToken: page.nextToken,
  };
}

function stopExecution(
  { executions }: Registries,
  body: RequestBody,
): Wire<StopExecutionOutput> {
  const record = executions.stop(
    requiredString(body, 'executionArn'),
    optionalString(body, 'error'),
    optionalString(body, 'cause'),
  );

  return { stopDate: toWireTime(record.stopDate ?? Date.now()) };
}

const HANDLERS: Readonly<Record<string, Handler>> = {
  CreateStateMachine: createStateMachine,
  UpdateStateMachine: updateStateMachine,
  DeleteStateMachine: deleteStateMachine,
  DescribeStateMachine: describeStateMachine,
  ListStateMachines: listStateMachines,
  StartExecution: startExecution,
  DescribeExecution: ({ executions }, body) =>
    describeExecution(executions.get(requiredString(body, 'executionArn'))),
  GetExecutionHistory: getExecutionHistory,
  ListExecutions: listExecutions,
  StopExecution: stopExecution,
};

/** The Step Functions operations this endpoint serves, by operation name. */
export function createOperations(
  registries: Registries,
): ReadonlyMap<string, Operation> {
  return new Map(
    Object.entries(HANDLERS).map(([name, handler]) => [
      name,
      (body: RequestBody) => handler(registries, body),
    ]),
  );
}
