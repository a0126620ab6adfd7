import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { recordAudit } from './audit.js';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call, isConditionFailure } from './db.js';
import { InvalidInputError, NotFoundError } from './errors.js';
import { formatUtc, recipientLabel } from './format.js';
import { deterministicId } from './ids.js';
import { isTokenShaped, linkHash, linkToken, newNonce } from './links.js';
import type { Note } from './model.js';
import { addNote } from './notes.js';
import { derivedKey } from './secrets.js';
import type { RequestInfoSettings } from './templates.js';

/*
 * A response request asks one stakeholder one question in one run. Its item
 * is keyed `request#<requestId>` and carries `runId` and `recipient`, so the
 * sparse `byRun` index lists the requests of a run. Each response option
 * has a link item keyed by the SHA-256 of its token, pointing back at the
 * request; link items carry no `runId` and stay out of that index.
 *
 * Items outlive their deadline by RETENTION_DAYS before DynamoDB's TTL
 * removes them: the deadline step must still read them, and a late click
 * should say "expired" rather than "unknown".
 */

const RETENTION_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;

/** The answer a stakeholder gave; the first one given is kept. */
export interface ResponseAnswer {
  readonly optionIndex: number;
  readonly option: string;
  readonly comment?: string;
  readonly answeredAt: string;
}

export interface ResponseRequest {
  readonly linkHash: string;
  readonly kind: 'request';
  readonly requestId: string;
  readonly runId: string;
  readonly flowId: string;
  readonly flowVersion: string;
  readonly caseId: string;
  /** Who ran the flow; the answer's case note names them. */
  readonly startedBy: string;
  /** Lowercased email address of the stakeholder. */
  readonly recipient: string;
  readonly recipientName?: string;
  /** The question asked: the flow's subject. */
  readonly question: string;
  readonly options: readonly string[];
  readonly allowComment: boolean;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly expiresAtEpoch: number;
  /** Random 32 bytes (base64url) from which the link tokens are derived. */
  readonly nonce: string;
  readonly answer?: ResponseAnswer;
  /** When the deadline step closed the request unanswered. */
  readonly closedAt?: string;
}

interface ResponseLink {
  readonly linkHash: string;
  readonly kind: 'link';
  readonly requestId: string;
  readonly optionIndex: number;
  readonly expiresAtEpoch: number;
}

/** What a run's requests tell the deadline step. */
export interface ResponseSummary {
  readonly pending: { requestId: string }[];
  readonly pendingCount: number;
  readonly answeredCount: number;
  /** "No answer by the deadline from: …", or '' when everyone answered. */
  readonly unansweredText: string;
}

const requestKey = (requestId: string): string => `request#${requestId}`;

/** The id of a stakeholder's request in a run: the same on every retry. */
export const requestIdFor = (runId: string, email: string): string =>
  deterministicId('req', runId, email.toLowerCase());

/** The tokens of a request's links, one per response option, in order. */
export const requestTokens = async (
  request: Pick<ResponseRequest, 'nonce' | 'options'>,
): Promise<string[]> => {
  const key = await derivedKey('links');

  return request.options.map((_, index) =>
    linkToken(key, request.nonce, index),
  );
};

/** What a new run of a request-info flow needs to ask its stakeholders. */
export interface RequestsToCreate {
  readonly runId: string;
  readonly flowId: string;
  readonly flowVersion: string;
  readonly caseId: string;
  readonly startedBy: string;
  readonly settings: RequestInfoSettings;
}

/**
 * Creates one request per stakeholder, with its links. A retry finds the
 * requests it created before and only rewrites their (identical) links.
 */
export const createResponseRequests = async (
  source: RequestsToCreate,
  now: Date,
): Promise<ResponseRequest[]> => {
  const drafts = uniqueStakeholders(source.settings).map((stakeholder) =>
    draftRequest(source, stakeholder, now),
  );
  const stored: ResponseRequest[] = [];
  for (const draft of drafts) stored.push(await putRequestIfAbsent(draft));
  await putLinks(stored);

  return stored;
};

const uniqueStakeholders = (settings: RequestInfoSettings) => {
  const byEmail = new Map<string, { email: string; name?: string }>();
  for (const stakeholder of settings.stakeholders) {
    const email = stakeholder.email.toLowerCase();
    if (!byEmail.has(email)) byEmail.set(email, { ...stakeholder, email });
  }
  if (byEmail.size === 0) {
    throw new InvalidInputError(
      'The flow names no stakeholders; add at least one to its settings',
      [{ field: 'settings.stakeholders', problem: 'add at least one' }],
    );
  }

  return [...byEmail.values()];
};

const draftRequest = (
  source: RequestsToCreate,
  stakeholder: { email: string; name?: string },
  now: Date,
): ResponseRequest => {
  const requestId = requestIdFor(source.runId, stakeholder.email);
  const expires = now.getTime() + source.settings.deadlineAfterHours * HOUR_MS;

  return {
    linkHash: requestKey(requestId),
    kind: 'request',
    requestId,
    runId: source.runId,
    flowId: source.flowId,
    flowVersion: source.flowVersion,
    caseId: source.caseId,
    startedBy: source.startedBy,
    recipient: stakeholder.email,
    recipientName: stakeholder.name,
    question: source.settings.subject,
    options: source.settings.responseOptions,
    allowComment: source.settings.allowComment,
    createdAt: now.toISOString(),
    expiresAt: new Date(expires).toISOString(),
    expiresAtEpoch: Math.ceil((expires + RETENTION_DAYS * DAY_MS) / 1000),
    nonce: newNonce(),
  };
};

const putRequestIfAbsent = async (
  draft: ResponseRequest,
): Promise<ResponseRequest> => {
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('responses'),
          Item: draft,
          ConditionExpression: 'attribute_not_exists(linkHash)',
        }),
      ),
    );

    return draft;
  } catch (error) {
    if (!isConditionFailure(error)) throw error;

    return requireRequest(draft.requestId);
  }
};

const putLinks = async (requests: readonly ResponseRequest[]) => {
  const links: ResponseLink[] = [];
  for (const request of requests) {
    const tokens = await requestTokens(request);
    for (const [optionIndex, token] of tokens.entries()) {
      links.push({
        linkHash: linkHash(token),
        kind: 'link',
        requestId: request.requestId,
        optionIndex,
        expiresAtEpoch: request.expiresAtEpoch,
      });
    }
  }
  for (let start = 0; start < links.length; start += PARALLEL_PUTS) {
    const batch = links.slice(start, start + PARALLEL_PUTS);
    await Promise.all(batch.map(putLink));
  }
};

/*
 * Link items are written one by one, a few at a time, rather than with
 * BatchWriteItem: the function's grants allow PutItem and UpdateItem only,
 * and a put of the same item is harmless on retry.
 */
const PARALLEL_PUTS = 25;

const putLink = async (link: ResponseLink): Promise<void> => {
  await call(() =>
    dynamo.send(
      new PutCommand({ TableName: tableName('responses'), Item: link }),
    ),
  );
};

export const getRequest = async (
  requestId: string,
): Promise<ResponseRequest | undefined> => {
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({
        TableName: tableName('responses'),
        Key: { linkHash: requestKey(requestId) },
        ConsistentRead: true,
      }),
    ),
  );

  return answer.Item as ResponseRequest | undefined;
};

export const requireRequest = async (
  requestId: string,
): Promise<ResponseRequest> => {
  const request = await getRequest(requestId);
  if (request === undefined) {
    throw new NotFoundError(`No response request ${requestId}`);
  }

  return request;
};

/** The request and option a link token stands for; undefined if unknown. */
export const findByToken = async (
  token: string,
): Promise<{ request: ResponseRequest; optionIndex: number } | undefined> => {
  if (!isTokenShaped(token)) return undefined;
  const answer = await call(() =>
    dynamo.send(
      new GetCommand({
        TableName: tableName('responses'),
        Key: { linkHash: linkHash(token) },
      }),
    ),
  );
  const link = answer.Item as ResponseLink | undefined;
  if (link?.kind !== 'link') return undefined;
  const request = await getRequest(link.requestId);

  return request ? { request, optionIndex: link.optionIndex } : undefined;
};

/** True once the request's deadline has passed or the flow closed it. */
export const isExpired = (request: ResponseRequest, now: Date): boolean =>
  request.closedAt !== undefined ||
  now.getTime() > Date.parse(request.expiresAt);

/** The outcome of a submitted answer. */
export type AnswerOutcome =
  | { kind: 'recorded' | 'already-recorded'; answer: ResponseAnswer }
  | { kind: 'expired' };

/**
 * Records an answer unless one exists (the first answer wins), then adds
 * the answer's case note. The note is also (re)added when the answer was
 * already there, so a crash between the two writes heals on the next
 * submission.
 */
export const answerRequest = async (
  request: ResponseRequest,
  answer: ResponseAnswer,
): Promise<AnswerOutcome> => {
  if (request.answer) return restateAnswer(request, request.answer);
  if (isExpired(request, new Date(answer.answeredAt)))
    return { kind: 'expired' };
  if (await storeAnswer(request, answer))
    return withNote(request, answer, true);
  const stored = await requireRequest(request.requestId);
  if (stored.answer) return restateAnswer(stored, stored.answer);

  return { kind: 'expired' };
};

const storeAnswer = async (
  request: ResponseRequest,
  answer: ResponseAnswer,
): Promise<boolean> => {
  try {
    await call(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName('responses'),
          Key: { linkHash: request.linkHash },
          UpdateExpression: 'SET answer = :answer',
          ConditionExpression:
            'attribute_exists(linkHash) AND attribute_not_exists(answer) ' +
            'AND attribute_not_exists(closedAt) AND expiresAt >= :now',
          ExpressionAttributeValues: {
            ':answer': answer,
            ':now': answer.answeredAt,
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

/**
 * Reports an answer given before as already recorded, adding its case note
 * if an earlier attempt stopped before writing it.
 */
export const restateAnswer = (
  request: ResponseRequest,
  answer: ResponseAnswer,
): Promise<AnswerOutcome> => withNote(request, answer, false);

const withNote = async (
  request: ResponseRequest,
  answer: ResponseAnswer,
  first: boolean,
): Promise<AnswerOutcome> => {
  await addNote(answerNote(request, answer));
  await recordAudit({
    eventId: `response-${request.requestId}`,
    at: answer.answeredAt,
    actor: { userId: request.recipient, groups: [] },
    category: 'cases',
    action: 'response.recorded',
    target: { type: 'case', id: request.caseId },
    after: { requestId: request.requestId, option: answer.option },
  });

  return { kind: first ? 'recorded' : 'already-recorded', answer };
};

/** The case note an answer becomes: one per request, whatever happens. */
export const answerNote = (
  request: ResponseRequest,
  answer: ResponseAnswer,
): Note => ({
  caseId: request.caseId,
  noteKey: `response#${request.requestId}`,
  text: answerNoteText(request, answer),
  author: {
    kind: 'flow',
    userId: request.startedBy,
    flowId: request.flowId,
    runId: request.runId,
  },
  source: 'response',
  createdAt: answer.answeredAt,
});

const answerNoteText = (
  request: ResponseRequest,
  answer: ResponseAnswer,
): string =>
  [
    `Response to "${request.question}" from ` +
      `${recipientLabel(request.recipient, request.recipientName)}`,
    `Answer: ${answer.option}`,
    ...(answer.comment ? [`Comment: ${answer.comment}`] : []),
    `Answered: ${formatUtc(answer.answeredAt)}`,
  ].join('\n');

/** Every request of a run, paging through the `byRun` index. */
export const listRequestsOfRun = async (
  runId: string,
): Promise<ResponseRequest[]> => {
  const requests: ResponseRequest[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const answer = await call(() =>
      dynamo.send(
        new QueryCommand({
          TableName: tableName('responses'),
          IndexName: 'byRun',
          KeyConditionExpression: 'runId = :runId',
          ExpressionAttributeValues: { ':runId': runId },
          ExclusiveStartKey: cursor,
        }),
      ),
    );
    requests.push(...((answer.Items ?? []) as ResponseRequest[]));
    cursor = answer.LastEvaluatedKey;
  } while (cursor);

  return requests.filter((request) => request.kind === 'request');
};

/** Who answered and who did not, in the words of the deadline note. */
export const summariseResponses = (
  requests: readonly ResponseRequest[],
): ResponseSummary => {
  const pending = requests.filter((request) => request.answer === undefined);
  const names = pending.map((request) =>
    recipientLabel(request.recipient, request.recipientName),
  );

  return {
    pending: pending.map(({ requestId }) => ({ requestId })),
    pendingCount: pending.length,
    answeredCount: requests.length - pending.length,
    unansweredText:
      names.length === 0
        ? ''
        : `No answer by the deadline from: ${names.join(', ')}`,
  };
};

/**
 * Closes a request that has no answer: its deadline becomes `now` and it is
 * marked closed, so its links say "expired" and a late answer is refused.
 * An answer stored first wins the race and keeps the request open; the
 * request as stored after is returned either way.
 */
const closeRequest = async (
  request: ResponseRequest,
  now: string,
): Promise<ResponseRequest> => {
  if (request.answer || request.closedAt) return request;
  try {
    await call(() =>
      dynamo.send(
        new UpdateCommand({
          TableName: tableName('responses'),
          Key: { linkHash: request.linkHash },
          UpdateExpression: 'SET closedAt = :now, expiresAt = :expiresAt',
          ConditionExpression:
            'attribute_exists(linkHash) AND attribute_not_exists(answer)',
          ExpressionAttributeValues: {
            ':now': now,
            ':expiresAt': earlier(request.expiresAt, now),
          },
        }),
      ),
    );

    return {
      ...request,
      closedAt: now,
      expiresAt: earlier(request.expiresAt, now),
    };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;

    return requireRequest(request.requestId);
  }
};

const earlier = (a: string, b: string): string =>
  Date.parse(a) <= Date.parse(b) ? a : b;

/**
 * The deadline step: closes every request of the run still unanswered and
 * returns the requests as they stand after, so that those it closed are
 * exactly the ones without an answer.
 */
export const closeRequestsOfRun = async (
  runId: string,
  now: Date,
): Promise<ResponseRequest[]> => {
  const requests = await listRequestsOfRun(runId);
  const closed: ResponseRequest[] = [];
  for (const request of requests) {
    closed.push(await closeRequest(request, now.toISOString()));
  }

  return closed;
};
