import { stringify } from 'csv-stringify/sync';
import { z } from 'zod';
import { parseInput } from '../domain/action.js';
import {
  AUDIT_CATEGORIES,
  type AuditEvent,
  queryAudit,
} from '../domain/audit.js';
import { pseudonymise } from '../domain/pseudonymise.js';
import type { ApiRequest, ApiResponse } from './http.js';

const DAY_MS = 86_400_000;

const auditQuery = z
  .object({
    from: z.iso.datetime({ offset: true }).optional(),
    to: z.iso.datetime({ offset: true }).optional(),
    category: z.enum(AUDIT_CATEGORIES).optional(),
    actor: z.string().min(1).max(200).optional(),
    target: z.string().min(1).max(300).optional(),
  })
  .strict();

/** The filters of a request; the last 7 days when no range is given. */
const filtersOf = (request: ApiRequest) => {
  const query = parseInput(auditQuery, request.query, 'query');
  const to = query.to ? new Date(query.to) : new Date();
  const from = query.from
    ? new Date(query.from)
    : new Date(to.getTime() - 7 * DAY_MS);

  return { ...query, from: from.toISOString(), to: to.toISOString() };
};

export const listAuditRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const filters = filtersOf(request);
  const events = await queryAudit(filters);

  return { status: 200, body: { from: filters.from, to: filters.to, events } };
};

const CSV_COLUMNS = [
  'at',
  'actor',
  'actorGroups',
  'category',
  'action',
  'targetType',
  'targetId',
  'before',
  'after',
] as const;

const csvRow = (event: AuditEvent) => [
  event.at,
  event.actor.userId,
  event.actor.groups.join(' '),
  event.category,
  event.action,
  event.target.type,
  event.target.id,
  event.before === undefined ? '' : JSON.stringify(event.before),
  event.after === undefined ? '' : JSON.stringify(event.after),
];

/**
 * The same events as CSV, one row each, for spreadsheets and SIEMs. A CSV
 * body is not JSON the API can present, so users are shown by alias here
 * while pseudonymisation is on.
 */
export const exportAuditRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const found = await queryAudit(filtersOf(request));
  const events =
    request.pseudonymise === false ? found : (await pseudonymise(found)).value;
  const csv = stringify([[...CSV_COLUMNS], ...events.map(csvRow)], {
    cast: { string: (value) => (/^[=+\-@]/.test(value) ? `'${value}` : value) },
  });

  return {
    status: 200,
    body: csv,
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="audit.csv"',
    },
  };
};
