import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import {
  type ApiRequest,
  actorFromEvent,
  checkPathParams,
  json,
  parseBody,
  requireGroup,
} from './api/http.js';
import { servePseudonymised } from './api/privacy.js';
import { IMPLEMENTATIONS } from './api/router.js';
import {
  BAD_ENCODING_MESSAGE,
  matchRoute,
  type RouteMatch,
} from './api/routes.js';
import { DomainError, InvalidInputError } from './domain/errors.js';
import { logger } from './domain/logger.js';

/**
 * The private HTTP API. API Gateway has verified the JWT; this function
 * checks the caller's role groups against the route table, runs the route,
 * and maps errors to JSON answers that say what to fix.
 */
const serve = async (
  event: APIGatewayProxyEventV2,
): Promise<APIGatewayProxyStructuredResultV2> => {
  const method = event.requestContext.http.method;
  const match = matchRoute(method, event.rawPath);
  if (match?.route.function !== 'api') {
    return json(404, { message: `No route ${method} ${event.rawPath}` });
  }
  logger.appendKeys({ route: match.route.id });
  try {
    const request = toRequest(event, match);
    const implementation = IMPLEMENTATIONS[match.route.id];
    if (!implementation) {
      return json(404, { message: `No route ${method} ${event.rawPath}` });
    }
    const response =
      match.route.roles === 'public'
        ? await implementation(request)
        : await servePseudonymised(request, implementation);

    return json(response.status, response.body, response.headers);
  } catch (error) {
    return errorResponse(error);
  }
};

const ANONYMOUS = { userId: 'anonymous', groups: [] } as const;

const toRequest = (
  event: APIGatewayProxyEventV2,
  { route, params, badEncoding }: RouteMatch,
): ApiRequest => {
  const actor = route.roles === 'public' ? ANONYMOUS : actorFromEvent(event);
  if (route.roles !== 'public') {
    requireGroup(actor, route.roles, `${route.method} ${route.path}`);
  }
  if (badEncoding) {
    throw new InvalidInputError(BAD_ENCODING_MESSAGE, [
      { field: 'path', problem: 'write % only as %XX of UTF-8 bytes' },
    ]);
  }

  return {
    actor,
    params: checkPathParams(params),
    query: event.queryStringParameters ?? {},
    headers: event.headers,
    body: parseBody(event),
  };
};

const errorResponse = (error: unknown): APIGatewayProxyStructuredResultV2 => {
  if (error instanceof DomainError && error.status < 500) {
    const fields =
      error instanceof InvalidInputError && error.fields.length > 0
        ? { fields: error.fields }
        : {};

    return json(error.status, { message: error.message, ...fields });
  }
  if (error instanceof DomainError && error.status === 503) {
    logger.warn('Dependency unavailable', { error });

    return json(503, { message: error.message }, { 'retry-after': '2' });
  }
  logger.error('Request failed', { error });

  return json(500, { message: 'Something went wrong on our side' });
};

export const handler = middy<
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Error,
  Context
>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(httpHeaderNormalizer())
  .handler(serve);
