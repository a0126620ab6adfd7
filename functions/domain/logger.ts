import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger. Messages are fixed strings; ids go in fields.
 * Never log tokens, response-link ids, email bodies or personal data.
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'insider-risk-flows',
});
