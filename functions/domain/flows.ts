import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call, isConditionFailure } from './db.js';
import { ConflictError, NotFoundError } from './errors.js';
import type { TemplateKey } from './templates.js';

/**
 * A flow is an instance of a template with its own settings. Each edit
 * writes a new version item (`v000001`, `v000002`...) and moves the
 * `current` item; a run reads the version it started with.
 */
export interface Flow {
  readonly flowId: string;
  readonly version: string;
  readonly templateId: TemplateKey;
  readonly name: string;
  readonly settings: Record<string, unknown>;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Number of the version the `current` item points at. */
  readonly revision: number;
  readonly deleted?: boolean;
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

/** Stores a new flow: its first version and the current pointer. */
export const createFlow = async (flow: Flow): Promise<Flow> => {
  const first = { ...flow, revision: 1, version: versionKey(1) };
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('flows'),
          Item: first,
          ConditionExpression: 'attribute_not_exists(flowId)',
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new ConflictError(`Flow ${flow.flowId} already exists`);
  }
  const current = { ...first, version: CURRENT, kind: FLOW_KIND };
  await call(() =>
    dynamo.send(
      new PutCommand({ TableName: tableName('flows'), Item: current }),
    ),
  );

  return current;
};

/** Every flow that is not deleted, newest first. */
export const listFlows = async (): Promise<Flow[]> => {
  const flows: Flow[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const answer = await call(() =>
      dynamo.send(
        new QueryCommand({
          TableName: tableName('flows'),
          IndexName: 'byKind',
          KeyConditionExpression: 'kind = :kind',
          ExpressionAttributeValues: { ':kind': FLOW_KIND },
          ScanIndexForward: false,
          ExclusiveStartKey: cursor,
        }),
      ),
    );
    flows.push(...((answer.Items ?? []) as Flow[]));
    cursor = answer.LastEvaluatedKey;
  } while (cursor);

  return flows.filter((flow) => !flow.deleted);
};
