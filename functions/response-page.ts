import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { requiredSetting } from './domain/config.js';
import { logger } from './domain/logger.js';
import { type PageRequest, respondToLink } from './domain/pages.js';
import { createRenderer } from './domain/rendering.js';

const renderer = createRenderer(requiredSetting('TEMPLATES_DIR'));

const toPageRequest = (event: APIGatewayProxyEventV2): PageRequest => ({
  method: event.requestContext.http.method.toUpperCase(),
  token: event.pathParameters?.token ?? '',
  contentType: event.headers['content-type'],
  body:
    event.body !== undefined && event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body,
});

/**
 * The public response pages, `GET`, `HEAD` and `POST /r/{token}` on the
 * HTTP API (payload v2). Opening a link shows the form and changes
 * nothing; posting the form records the first answer as a case note.
 * The token is never logged.
 */
export const handler = middy<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  Context
>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler((event) =>
    respondToLink(toPageRequest(event), renderer, new Date()),
  );
