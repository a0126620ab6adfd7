import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call, isConditionFailure, queryAll } from './db.js';
import { ConflictError, NotFoundError } from './errors.js';
import type { Actor, RoleGroup } from './model.js';
import type { TemplateKey } from './templates.js';

/** Where a flow was made: the settings area, or "Manage flows" beside cases. */
export type FlowDoor = 'settings' | 'dashboard';

/** Changes that start a flow by themselves (the original has none). */
export const FLOW_TRIGGERS = [
  'policy-member-added',
  'alert-confirmed',
] as const;
export type FlowTrigger = (typeof FLOW_TRIGGERS)[number];

/**
 * A flow is an instance of a template (or a custom definition) with its own
 * settings. Each edit writes a new version item (`v000001`, `v000002`...)
 * and moves the `current` item; a run reads the version it started with, so
 * edits and deletion never change a run in flight.
 */
export interface Flow {
  readonly flowId: string;
  readonly version: string;
  readonly templateId: TemplateKey | 'custom';
  readonly name: string;
  readonly settings: Record<string, unknown>;
  readonly door: FlowDoor;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly updatedBy: string;
  /** Number of the version the `current` item points at. */
  readonly revision: number;
  /** People the flow is shared with; owners have full access. */
  readonly owners: readonly string[];
  /** Role groups the flow is shared with, as owners. */
  readonly ownerGroups: readonly RoleGroup[];
  readonly trigger?: FlowTrigger;
  /**
   * Who saved the flow with its trigger, with their role groups then:
   * triggered runs start on their behalf, and only while those groups may
   * run the flow. Absent on flows without a trigger.
   */
  readonly triggerOwner?: Actor;
  /** A custom flow's ASL definition, in the short action names. */
  readonly definition?: string;
  readonly deleted?: boolean;
  readonly deletedAt?: string;
  readonly deletedBy?: string;
}

export const CURRENT = 'current';
const FLOW_KIND = 'flow';

export const versionKey = (revision: number): string =>
  `v${String(revision).padStart(6, '0')}`;

export const getFlow = async (
  flowId: string,
  version = CURRENT,
): Promise<Flow | undefined> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({
        TableName: tableName('flows'),
        Key: { flowId, version },
      }),
    ),
  );

  return answer.Item as Flow | undefined;
};

/** The current flow; deleted flows are gone for everyone. */
export const requireFlow = async (
  flowId: string,
  version = CURRENT,
): Promise<Flow> => {
  const flow = await getFlow(flowId, version);
  if (flow === undefined || (version === CURRENT && flow.deleted)) {
    throw new NotFoundError(`No flow ${flowId}`);
  }

  return flow;
};

/** True when the actor created the flow or it is shared with them. */
export const canSeeFlow = (flow: Flow, actor: Actor): boolean =>
  flow.createdBy === actor.userId ||
  flow.owners.includes(actor.userId) ||
  flow.ownerGroups.some((group) => actor.groups.includes(group));

/** The flow if the actor may see it; otherwise the same 404 as absent. */
export const requireVisibleFlow = async (
  flowId: string,
  actor: Actor,
): Promise<Flow> => {
  const flow = await requireFlow(flowId);
  if (!canSeeFlow(flow, actor)) throw new NotFoundError(`No flow ${flowId}`);

  return flow;
};

const putVersion = async (flow: Flow): Promise<void> => {
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('flows'),
          Item: flow,
          ConditionExpression: 'attribute_not_exists(version)',
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new ConflictError(
      `Flow ${flow.flowId} changed meanwhile; read it again and retry`,
    );
  }
};

/** Stores a new flow: its first version, then the current pointer. */
export const createFlow = async (
  flow: Omit<Flow, 'version' | 'revision'>,
): Promise<Flow> => {
  const first: Flow = { ...flow, revision: 1, version: versionKey(1) };
  const existing = await getFlow(flow.flowId);
  if (existing) throw new ConflictError(`Flow ${flow.flowId} already exists`);
  await putVersion(first);
  const current = { ...first, version: CURRENT, kind: FLOW_KIND };
  await call(() =>
    dynamo.send(
      new PutCommand({ TableName: tableName('flows'), Item: current }),
    ),
  );

  return current;
};

/**
 * Writes a new version and moves the current pointer to it. The pointer
 * only moves from the revision read, so two concurrent edits cannot both
 * win: the second gets a ConflictError.
 */
export const saveFlowVersion = async (
  previous: Flow,
  next: Omit<Flow, 'version' | 'revision'>,
): Promise<Flow> => {
  const revision = previous.revision + 1;
  const version: Flow = { ...next, revision, version: versionKey(revision) };
  await putVersion(version);
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('flows'),
          Item: { ...version, version: CURRENT, kind: FLOW_KIND },
          ConditionExpression:
            'revision = :previous AND attribute_not_exists(deleted)',
          ExpressionAttributeValues: { ':previous': previous.revision },
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new ConflictError(
      `Flow ${previous.flowId} changed meanwhile; read it again and retry`,
    );
  }

  return { ...version, version: CURRENT };
};

/**
 * Deletes a flow for everyone at once. Its versions stay, so runs in flight
 * finish and run history stays readable.
 */
export const deleteFlow = async (
  flow: Flow,
  actor: Actor,
  now: string,
): Promise<void> => {
  try {
    await call(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName('flows'),
          Key: { flowId: flow.flowId, version: CURRENT },
          UpdateExpression:
            'SET deleted = :true, deletedAt = :now, deletedBy = :actor',
          ConditionExpression: 'attribute_not_exists(deleted)',
          ExpressionAttributeValues: {
            ':true': true,
            ':now': now,
            ':actor': actor.userId,
          },
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new NotFoundError(`No flow ${flow.flowId}`);
  }
};

/** Every flow that is not deleted, newest first. */
export const listFlows = async (): Promise<Flow[]> => {
  const flows = await queryAll<Flow>({
    TableName: tableName('flows'),
    IndexName: 'byKind',
    KeyConditionExpression: 'kind = :kind',
    ExpressionAttributeValues: { ':kind': FLOW_KIND },
    ScanIndexForward: false,
  });

  return flows.filter((flow) => !flow.deleted);
};
