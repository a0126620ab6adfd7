import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SNSEvent } from 'aws-lambda';
import { logger } from './domain/logger.js';
import {
  addressesToSuppress,
  type SesEvent,
  suppressAddress,
} from './domain/suppression.js';

/**
 * SES bounce and complaint events, delivered through SNS: each address of a
 * permanent bounce or a complaint is recorded as suppressed. Addresses are
 * never logged, only how many were recorded.
 */
const recordSuppressions = async (event: SNSEvent): Promise<void> => {
  const now = new Date().toISOString();
  let recorded = 0;
  for (const record of event.Records) {
    const sesEvent = JSON.parse(record.Sns.Message) as SesEvent;
    const kind = sesEvent.eventType ?? sesEvent.notificationType ?? 'unknown';
    for (const address of addressesToSuppress(sesEvent)) {
      if (await suppressAddress(address, kind, now)) recorded += 1;
    }
  }
  logger.info('Email events processed', {
    events: event.Records.length,
    suppressed: recorded,
  });
};

export const handler = middy<SNSEvent, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(recordSuppressions);
