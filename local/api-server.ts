import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import { matchRoute } from '../functions/api/routes.js';
import type { LocalAuth } from './auth.js';
import type { LocalLambdas } from './lambdas.js';
import { closeServer, listen } from './net.js';

/** API Gateway's own limit on a request body. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export interface LocalApi {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

class BodyTooLarge extends Error {}

/** Reads the body; past the limit it stops reading and rejects. */
const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        request.off('data', onData);
        request.pause();
        reject(new BodyTooLarge());
      } else {
        chunks.push(chunk);
      }
    };
    request.on('data', onData);
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });

/**
 * Answers 413 as API Gateway does, then closes the connection once the
 * answer is written: the rest of the body is never read.
 */
const refuseLargeBody = (
  request: IncomingMessage,
  response: ServerResponse,
): void => {
  response.on('finish', () => request.socket.destroySoon());
  send(response, 413, JSON.stringify({ message: 'Request too large' }), {
    connection: 'close',
  });
};

const send = (
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string | number | boolean> = {},
  head = false,
): void => {
  const merged: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
  };
  for (const [name, value] of Object.entries(headers)) {
    merged[name.toLowerCase()] = String(value);
  }
  response.writeHead(status, merged);
  response.end(head ? undefined : body);
};

const headersOf = (request: IncomingMessage): Record<string, string> => {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) {
      headers[name] = Array.isArray(value) ? value.join(',') : value;
    }
  }

  return headers;
};

/** Builds the event an HTTP API (payload 2.0) would hand the function. */
const toEvent = (
  request: IncomingMessage,
  url: URL,
  body: Buffer,
  claims: Record<string, unknown> | undefined,
  routeKey: string,
  params: Record<string, string>,
): APIGatewayProxyEventV2 => {
  const now = new Date();

  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: headersOf(request),
    queryStringParameters:
      url.search.length > 1 ? Object.fromEntries(url.searchParams) : undefined,
    pathParameters: params,
    body: body.length > 0 ? body.toString('base64') : undefined,
    isBase64Encoded: body.length > 0,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: request.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      ...(claims ? { authorizer: { jwt: { claims, scopes: [] } } } : {}),
    },
  } as APIGatewayProxyEventV2;
};

/**
 * The HTTP API on one machine: the same route table, a JWT check that
 * answers as API Gateway's authorizer does, and the same functions.
 */
export const startLocalApi = async (options: {
  port: number;
  /** The setting that chooses the port, named when it is in use. */
  portSetting?: string;
  auth: LocalAuth;
  lambdas: LocalLambdas;
}): Promise<LocalApi> => {
  const server: Server = createServer((request, response) => {
    handle(request, response, options).catch(() => {
      if (!response.headersSent) {
        send(response, 500, JSON.stringify({ message: 'Internal error' }));
      }
    });
  });
  await listen(server, options.port, 'The API', {
    portSetting: options.portSetting,
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => closeServer(server),
  };
};

const handle = async (
  request: IncomingMessage,
  response: ServerResponse,
  options: { auth: LocalAuth; lambdas: LocalLambdas },
): Promise<void> => {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const method = request.method ?? 'GET';
  const head = method === 'HEAD';
  const match = matchRoute(method, url.pathname);
  if (!match) {
    send(response, 404, JSON.stringify({ message: 'Not Found' }), {}, head);
    return;
  }
  let claims: Record<string, unknown> | undefined;
  if (match.route.roles !== 'public') {
    claims = await verifyBearer(request, options.auth);
    if (!claims) {
      send(response, 401, JSON.stringify({ message: 'Unauthorized' }), {
        'www-authenticate': 'Bearer',
      });
      return;
    }
  }
  let body: Buffer;
  try {
    body = await readBody(request);
  } catch (error) {
    if (!(error instanceof BodyTooLarge)) throw error;
    refuseLargeBody(request, response);
    return;
  }
  const routeKey = `${match.route.method} ${match.route.path}`;
  const event = toEvent(request, url, body, claims, routeKey, match.params);
  const result = (await options.lambdas.invoke(
    match.route.function,
    event,
  )) as APIGatewayProxyStructuredResultV2;
  const headers = { ...(result.headers ?? {}) };
  const payload = result.isBase64Encoded
    ? Buffer.from(result.body ?? '', 'base64').toString()
    : (result.body ?? '');
  send(response, result.statusCode ?? 200, payload, headers, head);
};

const verifyBearer = async (
  request: IncomingMessage,
  auth: LocalAuth,
): Promise<Record<string, unknown> | undefined> => {
  const header = request.headers.authorization ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return undefined;
  try {
    return await auth.verify(match[1]);
  } catch {
    return undefined;
  }
};
