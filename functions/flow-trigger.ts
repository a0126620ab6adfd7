import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import middy from '@middy/core';
import type {
  Context,
  DynamoDBBatchResponse,
  DynamoDBRecord,
  DynamoDBStreamEvent,
} from 'aws-lambda';
import { requiredSetting } from './domain/config.js';
import { logger } from './domain/logger.js';
import { physicalTableName, TABLES } from './domain/tables.js';
import {
  startTriggeredRuns,
  type TableChange,
  type TriggerTable,
  triggerEventOf,
} from './domain/triggers.js';

/** The tables whose streams reach this function, by physical name. */
const SOURCE_TABLES: ReadonlyMap<string, TriggerTable> = new Map(
  (['policyMembers', 'alerts'] as const).map((tableId) => [
    physicalTableName(requiredSetting('STAGE'), TABLES[tableId]),
    tableId,
  ]),
);

/** `arn:aws:dynamodb:…:table/<name>/stream/<label>` → `<name>`. */
const tableOf = (record: DynamoDBRecord): TriggerTable | undefined => {
  const name = /:table\/([^/]+)\/stream\//.exec(record.eventSourceARN ?? '');

  return name?.[1] ? SOURCE_TABLES.get(name[1]) : undefined;
};

type StreamImage = NonNullable<DynamoDBRecord['dynamodb']>['NewImage'];

/**
 * Stream images carry binary values as base64 text where the SDK type says
 * bytes; the policy-member and alert items hold no binary attributes.
 */
const imageOf = (image: StreamImage): Record<string, unknown> | undefined =>
  image && unmarshall(image as Record<string, AttributeValue>);

const changeOf = (record: DynamoDBRecord): TableChange | undefined => {
  const table = tableOf(record);
  if (!table || !record.eventName) return undefined;

  return {
    table,
    kind: record.eventName,
    before: imageOf(record.dynamodb?.OldImage),
    after: imageOf(record.dynamodb?.NewImage),
  };
};

/** Starts the flows one stream record triggers, if any. */
const handleRecord = async (record: DynamoDBRecord): Promise<void> => {
  const change = changeOf(record);
  if (!change) {
    logger.warn('Stream record from a table without triggers skipped', {
      eventSourceARN: record.eventSourceARN,
    });

    return;
  }
  const event = triggerEventOf(change);
  if (event) await startTriggeredRuns(event);
};

/**
 * Flow trigger. Reads the change streams of the policy-members and alerts
 * tables (NEW_AND_OLD_IMAGES) and starts the flows each change triggers.
 *
 * Records are handled in order. At the first one that fails, the handler
 * reports its sequence number as the batch's only failure and stops: the
 * stream delivers again from that record (the ones before it are done), and
 * after the event source mapping's retries it goes to the dead-letter
 * queue. Run ids derived from the change make those redeliveries harmless.
 */
export const handler = middy<
  DynamoDBStreamEvent,
  DynamoDBBatchResponse,
  Error,
  Context
>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (event) => {
    for (const record of event.Records) {
      const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
      try {
        await handleRecord(record);
      } catch (error) {
        logger.error('Stream record failed; it will be delivered again', {
          sequenceNumber,
          error,
        });

        return { batchItemFailures: [{ itemIdentifier: sequenceNumber }] };
      }
    }

    return { batchItemFailures: [] };
  });
