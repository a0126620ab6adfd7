import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call, isConditionFailure } from './db.js';
import { InvalidInputError } from './errors.js';
import { randomId } from './ids.js';
import type { Actor } from './model.js';

/**
 * The audit log: who did what, when, to which target, with before and after
 * for settings and flow edits. It is append-only (no function may update or
 * delete an event) and cannot be switched off.
 */

export const AUDIT_CATEGORIES = [
  'policies',
  'cases',
  'alerts',
  'settings',
  'users',
  'flows',
  'runs',
  'notice templates',
] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];

/** Events are kept at least this long; DynamoDB's TTL removes them after. */
export const RETENTION_DAYS = 400;
const DAY_MS = 86_400_000;
/** The longest time range one query may span. */
export const MAX_RANGE_DAYS = 400;

export interface AuditEvent {
  readonly eventId: string;
  readonly at: string;
  readonly actor: {
    readonly userId: string;
    readonly groups: readonly string[];
  };
  readonly category: AuditCategory;
  /** What happened, e.g. `flow.edited`, `note.added`, `run.started`. */
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly before?: unknown;
  readonly after?: unknown;
}

/**
 * Records an event. With an `eventId` derived from the change itself, a
 * retried write records it once.
 */
export const recordAudit = async (
  event: Omit<AuditEvent, 'eventId' | 'at'> & {
    eventId?: string;
    at?: string;
  },
): Promise<AuditEvent> => {
  const at = event.at ?? new Date().toISOString();
  const stored: AuditEvent = {
    ...event,
    actor: { userId: event.actor.userId, groups: [...event.actor.groups] },
    eventId: event.eventId ?? randomId('evt'),
    at,
  };
  const expiresAtEpoch = Math.floor(
    (Date.parse(at) + RETENTION_DAYS * DAY_MS) / 1000,
  );
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('audit'),
          Item: {
            ...stored,
            day: at.slice(0, 10),
            eventKey: `${at}#${stored.eventId}`,
            actorId: stored.actor.userId,
            targetId: stored.target.id,
            expiresAtEpoch,
          },
          ConditionExpression: 'attribute_not_exists(eventKey)',
        }),
      ),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }

  return stored;
};

/** An actor as the audit log names it. */
export const auditActor = (actor: Actor): AuditEvent['actor'] => ({
  userId: actor.userId,
  groups: [...actor.groups],
});

export interface AuditQuery {
  readonly from: string;
  readonly to: string;
  readonly category?: AuditCategory;
  readonly actor?: string;
  readonly target?: string;
}

const daysBetween = (from: string, to: string): string[] => {
  const days: string[] = [];
  const last = Date.parse(to.slice(0, 10));
  for (let day = Date.parse(from.slice(0, 10)); day <= last; day += DAY_MS) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }

  return days;
};

/**
 * Reads the events in a time range, oldest first, with optional filters.
 * One Query per day of the range; events past their retention are left out
 * even before DynamoDB's TTL (which may run up to two days late) has
 * removed them.
 */
export const queryAudit = async (query: AuditQuery): Promise<AuditEvent[]> => {
  const days = daysBetween(query.from, query.to);
  if (days.length === 0 || days.length > MAX_RANGE_DAYS) {
    throw new InvalidInputError(
      `The range must run forward and span at most ${MAX_RANGE_DAYS} days`,
      [{ field: 'from', problem: 'must be before to, within 400 days' }],
    );
  }
  const events: AuditEvent[] = [];
  const nowEpoch = Math.floor(Date.now() / 1000);
  for (const day of days) {
    events.push(...(await queryDay(day, query, nowEpoch)));
  }

  return events;
};

const queryDay = async (
  day: string,
  query: AuditQuery,
  nowEpoch: number,
): Promise<AuditEvent[]> => {
  const filters = ['expiresAtEpoch > :now'];
  const values: Record<string, unknown> = {
    ':day': day,
    ':from': query.from,
    ':to': `${query.to}\uffff`,
    ':now': nowEpoch,
  };
  const names: Record<string, string> = {};
  if (query.category) {
    filters.push('#category = :category');
    names['#category'] = 'category';
    values[':category'] = query.category;
  }
  if (query.actor) {
    filters.push('actorId = :actor');
    values[':actor'] = query.actor;
  }
  if (query.target) {
    filters.push('targetId = :target');
    values[':target'] = query.target;
  }
  const events: AuditEvent[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const answer = await call(() =>
      dynamo.send(
        new QueryCommand({
          TableName: tableName('audit'),
          KeyConditionExpression:
            '#day = :day AND eventKey BETWEEN :from AND :to',
          FilterExpression: filters.join(' AND '),
          ExpressionAttributeNames: { '#day': 'day', ...names },
          ExpressionAttributeValues: values,
          ExclusiveStartKey: cursor,
        }),
      ),
    );
    events.push(...((answer.Items ?? []) as AuditEvent[]).map(publicFields));
    cursor = answer.LastEvaluatedKey;
  } while (cursor);

  return events;
};

const publicFields = (item: AuditEvent): AuditEvent => ({
  eventId: item.eventId,
  at: item.at,
  actor: item.actor,
  category: item.category,
  action: item.action,
  target: item.target,
  before: item.before,
  after: item.after,
});
