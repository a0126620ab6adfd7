import { parseInput } from './action.js';
import { listAllCaseAlerts, requireCase } from './cases.js';
import { requireUser } from './directory.js';
import { InvalidInputError } from './errors.js';
import { requireFlow } from './flows.js';
import { logger } from './logger.js';
import type { User } from './model.js';
import {
  CALL_BUDGET_MS,
  findRecordByCorrelation,
  insertRecord,
  type RecordRef,
  recordLink,
  type ServiceNowConnection,
} from './servicenow-client.js';
import {
  buildRecordContext,
  type PresentUser,
  type RecordContext,
  renderFields,
} from './servicenow-fields.js';
import { serviceNowSettings } from './templates.js';

/*
 * The "Create a record for the case in ServiceNow" action. A record is
 * created at most once per correlation id: a retried step, or a run that
 * times out after ServiceNow stored the record, finds it and creates none.
 *
 * The correlation id is the mapped `correlation_id` field when the flow maps
 * one (the default mapping uses the case id: one record per case, whatever
 * the number of runs); otherwise `irm:<runId>`, one record per run.
 * ServiceNow has no conditional insert, so two runs of one case started at
 * the same instant can still both create a record.
 */

export * from './servicenow-client.js';
export * from './servicenow-fields.js';

/** What the state machine passes to the action. */
export interface CaseRecordRequest {
  readonly runId: string;
  readonly flowId: string;
  readonly flowVersion: string;
  readonly caseId: string;
}

/** The record the case now has in ServiceNow; `created` is false on a retry. */
export interface CaseRecord {
  readonly number: string;
  readonly sysId: string;
  readonly link: string;
  readonly created: boolean;
}

const TEMPLATE_ID = 'servicenow-record';
/** ServiceNow's correlation_id field holds 100 characters. */
const MAX_CORRELATION_LENGTH = 100;

/** Loads the case, its user and its alerts into the mapping's values. */
export const loadRecordContext = async (
  caseId: string,
  presentUser?: PresentUser,
): Promise<RecordContext> => {
  const found = await requireCase(caseId);
  const [user, alerts] = await Promise.all([
    requireUser(found.userId),
    listAllCaseAlerts(caseId),
  ]);
  // Case names from before names were left out of them may name the user.
  const shown = presentUser
    ? { ...found, name: renamed(found.name, user, presentUser(user)) }
    : found;

  return buildRecordContext({ case: shown, user, alerts }, presentUser);
};

const renamed = (text: string, user: User, shown: User): string =>
  user.displayName === ''
    ? text
    : text.split(user.displayName).join(shown.displayName);

const flowSettings = async (request: CaseRecordRequest) => {
  const flow = await requireFlow(request.flowId, request.flowVersion);
  if (flow.templateId !== TEMPLATE_ID) {
    throw new InvalidInputError(
      `Flow ${flow.flowId} is not a ServiceNow record flow`,
      [{ field: 'flowId', problem: `must be a ${TEMPLATE_ID} flow` }],
    );
  }

  return parseInput(serviceNowSettings, flow.settings, 'ServiceNow settings');
};

const correlationProblem = (value: string): string | undefined => {
  if (value.trim() === '') return 'renders empty';
  if (value.length > MAX_CORRELATION_LENGTH) {
    return `renders longer than ${MAX_CORRELATION_LENGTH} characters`;
  }
  if (/[\^\r\n]/.test(value)) return 'renders a ^ or a line break';

  return undefined;
};

/** The correlation id a record is found by: mapped, or one per run. */
export const correlationIdFor = (
  fields: Readonly<Record<string, string>>,
  runId: string,
): string => {
  const mapped = fields.correlation_id;
  if (mapped === undefined) return `irm:${runId}`;
  const problem = correlationProblem(mapped);
  if (problem !== undefined) {
    throw new InvalidInputError(
      `The ServiceNow field correlation_id ${problem}; it identifies the record`,
      [{ field: 'fields.correlation_id', problem }],
    );
  }

  return mapped;
};

const findOrInsert = async (
  connection: ServiceNowConnection,
  table: string,
  fields: Readonly<Record<string, string>> & { correlation_id: string },
): Promise<RecordRef & { created: boolean }> => {
  const existing = await findRecordByCorrelation(
    connection,
    table,
    fields.correlation_id,
  );
  if (existing !== undefined) {
    logger.info('ServiceNow record already exists', {
      table,
      sysId: existing.sysId,
    });

    return { ...existing, created: false };
  }
  const inserted = await insertRecord(connection, table, fields);
  logger.info('ServiceNow record created', { table, sysId: inserted.sysId });

  return { ...inserted, created: true };
};

/**
 * Creates the case's ServiceNow record from the flow version's mapping, or
 * returns the one a previous attempt created. `presentUser` is where
 * pseudonymisation swaps the user's identity for an alias.
 */
export const createCaseRecord = async (
  request: CaseRecordRequest,
  connection: ServiceNowConnection,
  presentUser?: PresentUser,
): Promise<CaseRecord> => {
  const settings = await flowSettings(request);
  const context = await loadRecordContext(request.caseId, presentUser);
  const rendered = renderFields(settings.fields, context);
  const fields = {
    ...rendered,
    correlation_id: correlationIdFor(rendered, request.runId),
  };

  const bounded = {
    ...connection,
    deadline: connection.deadline ?? Date.now() + CALL_BUDGET_MS,
  };
  const record = await findOrInsert(bounded, settings.table, fields);

  return {
    number: record.number,
    sysId: record.sysId,
    link: recordLink(connection.instanceUrl, settings.table, record.sysId),
    created: record.created,
  };
};
