import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call, isConditionFailure, type Page, queryPage } from './db.js';
import { NotFoundError } from './errors.js';
import type { TemplateKey } from './templates.js';

export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/** What a run acts on: a case (case flows) or a user (user flows). */
export interface RunTarget {
  readonly caseId?: string;
  readonly userId?: string;
  readonly policyId?: string;
}

export interface Run {
  readonly runId: string;
  readonly flowId: string;
  readonly flowVersion: string;
  readonly flowName: string;
  readonly templateId: TemplateKey | 'custom';
  readonly target: RunTarget;
  readonly startedBy: string;
  readonly startedAt: string;
  readonly executionArn: string;
  readonly status: RunStatus;
  /** What the run did, in words: "Emailed the user and their manager". */
  readonly outcome?: string;
  /** Why it failed, in words a person understands. */
  readonly error?: string;
  readonly finishedAt?: string;
}

/**
 * The input every template's state machine receives: ids only, so that no
 * state comes near the 256 KB limit whatever the size of the case.
 */
export interface RunInput extends RunTarget {
  readonly runId: string;
  readonly flowId: string;
  readonly flowVersion: string;
  readonly startedBy: string;
}

export const getRun = async (runId: string): Promise<Run | undefined> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({ TableName: tableName('runs'), Key: { runId } }),
    ),
  );

  return answer.Item as Run | undefined;
};

export const requireRun = async (runId: string): Promise<Run> => {
  const run = await getRun(runId);
  if (run === undefined) throw new NotFoundError(`No run ${runId}`);

  return run;
};

/** Stores a run unless its id exists; returns the stored one. */
export const putRunIfAbsent = async (
  run: Run,
): Promise<{ run: Run; created: boolean }> => {
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('runs'),
          Item: run,
          ConditionExpression: 'attribute_not_exists(runId)',
        }),
      ),
    );

    return { run, created: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;

    return { run: await requireRun(run.runId), created: false };
  }
};

/**
 * Records how a run ended. The first ending wins, so a retried step cannot
 * turn a failure into a success or the other way round.
 */
export const finishRun = async (
  runId: string,
  ending: Pick<Run, 'status' | 'outcome' | 'error'>,
  now: string,
): Promise<boolean> => {
  try {
    await call(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName('runs'),
          Key: { runId },
          UpdateExpression:
            'SET #status = :status, outcome = :outcome, #error = :error, ' +
            'finishedAt = :now',
          ConditionExpression: 'attribute_exists(runId) AND #status = :running',
          ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
          ExpressionAttributeValues: {
            ':status': ending.status,
            ':outcome': ending.outcome ?? null,
            ':error': ending.error ?? null,
            ':now': now,
            ':running': 'RUNNING',
          },
        }),
      ),
    );

    return true;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;

    return false;
  }
};

export const listRunsOfFlow = (
  flowId: string,
  limit: number,
  cursor?: string,
): Promise<Page<Run>> =>
  queryPage<Run>(
    {
      TableName: tableName('runs'),
      IndexName: 'byFlow',
      KeyConditionExpression: 'flowId = :flowId',
      ExpressionAttributeValues: { ':flowId': flowId },
      ScanIndexForward: false,
    },
    limit,
    cursor,
  );
