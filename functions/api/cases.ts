import { z } from 'zod';
import { parseInput } from '../domain/action.js';
import { auditActor, recordAudit } from '../domain/audit.js';
import {
  confirmAlert,
  countCaseAlerts,
  listCaseAlerts,
  listCases,
  requireAlert,
  requireCase,
  touchCase,
} from '../domain/cases.js';
import { ConflictError } from '../domain/errors.js';
import { randomId } from '../domain/ids.js';
import { CASE_STATUSES, multiLineText } from '../domain/model.js';
import { addNote, listNotes } from '../domain/notes.js';
import {
  type ApiRequest,
  type ApiResponse,
  idempotencyKeyOf,
  pageLimit,
} from './http.js';

/** The query of GET /cases; `limit` is checked by pageLimit. */
const caseQuery = z
  .object({
    status: z.enum(CASE_STATUSES).default('Active'),
    limit: z.string().optional(),
    cursor: z.string().optional(),
  })
  .strict();

export const listCasesRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const query = parseInput(caseQuery, request.query, 'query');
  const page = await listCases(
    query.status,
    pageLimit(request.query),
    query.cursor,
  );

  return {
    status: 200,
    body: { cases: page.items, nextCursor: page.nextCursor },
  };
};

export const getCaseRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const caseId = request.params.caseId ?? '';
  const found = await requireCase(caseId);
  const alertCount = await countCaseAlerts(caseId);

  return { status: 200, body: { case: { ...found, alertCount } } };
};

export const listCaseAlertsRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const caseId = request.params.caseId ?? '';
  await requireCase(caseId);
  const page = await listCaseAlerts(
    caseId,
    pageLimit(request.query),
    request.query.cursor,
  );

  return {
    status: 200,
    body: { alerts: page.items, nextCursor: page.nextCursor },
  };
};

export const listCaseNotesRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const caseId = request.params.caseId ?? '';
  await requireCase(caseId);
  const page = await listNotes(
    caseId,
    pageLimit(request.query),
    request.query.cursor,
  );

  return {
    status: 200,
    body: { notes: page.items, nextCursor: page.nextCursor },
  };
};

const noteBody = z.object({ text: multiLineText(10_000) }).strict();

/**
 * Adds a note. With an `Idempotency-Key` header a repeated request returns
 * the note first written (200) instead of adding a second one (201); the
 * same key with another text answers 409.
 */
export const addCaseNoteRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const caseId = request.params.caseId ?? '';
  const body = parseInput(noteBody, request.body, 'body');
  const key = idempotencyKeyOf(request);
  await requireCase(caseId);
  const now = new Date().toISOString();
  const result = await addNote({
    caseId,
    noteKey: key ? `api#${request.actor.userId}#${key}` : randomId('note'),
    text: body.text,
    author: { kind: 'person', userId: request.actor.userId },
    source: 'api',
    createdAt: now,
  });
  if (!result.created && result.note.text !== body.text) {
    throw new ConflictError(
      'This Idempotency-Key was used for another note; send a new key to ' +
        'add a new note',
    );
  }
  if (result.created) {
    await touchCase(caseId, request.actor.userId, now);
    await recordAudit({
      eventId: `note-${caseId}-${result.note.noteKey}`,
      actor: auditActor(request.actor),
      category: 'cases',
      action: 'note.added',
      target: { type: 'case', id: caseId },
      after: { noteKey: result.note.noteKey, text: result.note.text },
    });
  }

  return { status: result.created ? 201 : 200, body: { note: result.note } };
};

export const getAlertRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => ({
  status: 200,
  body: { alert: await requireAlert(request.params.alertId ?? '') },
});

const auditConfirmation = async (
  request: ApiRequest,
  result: Awaited<ReturnType<typeof confirmAlert>>,
): Promise<void> => {
  const actor = auditActor(request.actor);
  const { alertId } = result.alert;
  if (result.openedCase) {
    await recordAudit({
      eventId: `case-opened-${result.case.caseId}`,
      actor,
      category: 'cases',
      action: 'case.opened',
      target: { type: 'case', id: result.case.caseId },
      after: { fromAlert: alertId },
    });
  }
  await recordAudit({
    eventId: `alert-confirmed-${alertId}-${result.case.caseId}`,
    actor,
    category: 'alerts',
    action: 'alert.confirmed',
    target: { type: 'alert', id: alertId },
    after: { status: 'Confirmed', caseId: result.case.caseId },
  });
};

/** Confirming takes no input: no body, or an empty JSON object. */
const confirmBody = z.object({}).strict().optional();

export const confirmAlertRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  parseInput(confirmBody, request.body, 'body');
  const result = await confirmAlert(
    request.params.alertId ?? '',
    request.actor,
    new Date().toISOString(),
  );
  await auditConfirmation(request, result);

  return { status: result.openedCase ? 201 : 200, body: result };
};
