import { recordAudit } from './audit.js';
import { getCase } from './cases.js';
import type { ExecutionView } from './executions.js';
import { getFlow } from './flows.js';
import { logger } from './logger.js';
import type { Case } from './model.js';
import { addNote } from './notes.js';
import { isPseudonymised } from './privacy.js';
import { pseudonymsForUsers } from './pseudonymise.js';
import { finishRun, type Run, requireRun } from './runs.js';

/** What a state machine's Catch hands over: the error name and its cause. */
export interface CaughtError {
  readonly Error: string;
  readonly Cause?: string;
}

/**
 * Lambda errors arrive with a JSON cause (`errorMessage`, `errorType`,
 * `trace`); other errors with plain text. Either way the message is what a
 * person reads, never the stack trace.
 */
const causeMessage = (cause: string | undefined): string => {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // A plain-text cause is already the message.
  }

  return cause;
};

const EXPLANATIONS: Record<string, string> = {
  TransientError: 'A service stayed unavailable after several tries',
  'States.Timeout': 'A step took longer than it is allowed to',
  'States.TaskFailed': 'A step failed',
  'States.Runtime': 'The run stopped on an error no step could catch',
  'Lambda.ServiceException': 'AWS Lambda kept failing after several tries',
  'Lambda.TooManyRequestsException':
    'AWS Lambda was throttled after several tries',
  ServiceNowAuthError: 'ServiceNow refused the request',
  ServiceNowError: 'ServiceNow could not create the record',
  NotFoundError: 'Something the flow needs no longer exists',
  InvalidInputError: 'The flow was given data it cannot use',
  PrivacyStopError: 'The flow stopped to protect privacy',
  ConfigurationError: 'The deployment is missing a setting',
};

/** Turns a caught error into a sentence for the run and the case note. */
export const explainError = (error: CaughtError): string => {
  const reason = EXPLANATIONS[error.Error] ?? `A step failed (${error.Error})`;
  const detail = causeMessage(error.Cause);

  return detail ? `${reason}: ${detail}` : `${reason}.`;
};

/** While pseudonymised, what a run writes names its users by alias. */
const identityFilter = async (
  run: Run,
  found: Case | undefined,
): Promise<(text: string) => string> => {
  if (!(await isPseudonymised())) return (text) => text;
  const userIds = [run.target.userId, found?.userId].filter(
    (id): id is string => id !== undefined,
  );
  const pseudonyms = await pseudonymsForUsers(userIds);

  return (text) => pseudonyms.text(text);
};

/**
 * Records how a run ended. A failed case flow also gets a case note saying
 * the flow failed and why; the note key makes a retried step add one note.
 * While pseudonymisation is on, the error and the note name users by alias.
 */
export const recordRunOutcome = async (request: {
  runId: string;
  status: 'SUCCEEDED' | 'FAILED';
  outcome?: string;
  error?: CaughtError;
}): Promise<{ recorded: boolean }> => {
  const run = await requireRun(request.runId);
  const now = new Date().toISOString();
  const caseId = run.target.caseId;
  const found = caseId ? await getCase(caseId) : undefined;
  const shown = await identityFilter(run, found);
  const error = request.error ? shown(explainError(request.error)) : undefined;
  const outcome = request.outcome ? shown(request.outcome) : undefined;
  const recorded = await finishRun(
    run.runId,
    { status: request.status, outcome, error },
    now,
  );
  if (request.status === 'FAILED') {
    logger.warn('Flow run failed', { errorName: request.error?.Error });
  }
  if (request.status === 'FAILED' && found) {
    const flow = await getFlow(run.flowId, run.flowVersion);
    await addNote({
      caseId: found.caseId,
      noteKey: `${run.runId}#failed`,
      text: shown(
        `Flow "${flow?.name ?? run.flowName}" failed: ${error}. ` +
          `Run ${run.runId} started by ${run.startedBy}.`,
      ),
      author: {
        kind: 'flow',
        userId: run.startedBy,
        flowId: run.flowId,
        runId: run.runId,
      },
      source: 'flow',
      createdAt: now,
    });
  }
  await recordAudit({
    eventId: `ended-${run.runId}`,
    actor: { userId: run.startedBy, groups: [] },
    category: 'runs',
    action: request.status === 'FAILED' ? 'run.failed' : 'run.succeeded',
    target: { type: 'run', id: run.runId },
    after: { flowId: run.flowId, outcome, error },
  });

  return { recorded };
};

/** Outcome of a run whose execution was stopped outside the API. */
export const STOPPED_RUN_OUTCOME = 'Stopped in Step Functions.';

/** Outcome of a run whose execution succeeded without recording it. */
export const UNRECORDED_SUCCESS_OUTCOME =
  'The run reached its end without recording what it did.';

/** The error an ended execution reports, or the one its status implies. */
const executionError = (execution: ExecutionView): CaughtError => ({
  Error:
    execution.error ??
    (execution.status === 'TIMED_OUT' ? 'States.Timeout' : 'States.Runtime'),
  Cause: execution.cause,
});

/**
 * Records how a run ended when its execution ended without the run
 * recording it, and returns the run as stored after. A state machine's
 * Catch does not see every ending: runtime errors (States.Runtime: a path
 * that matches nothing, an intrinsic function given the wrong type), an
 * execution timeout, a stop from the console, or the local stack stopping
 * while the run waited. Reading the run records that ending once (the
 * first ending wins, the failure note and audit event are keyed by run),
 * with the same explanation and case note as RecordFailure.
 */
export const settleRun = async (
  run: Run,
  execution: ExecutionView | undefined,
): Promise<Run> => {
  if (run.status !== 'RUNNING' || execution === undefined) return run;
  const status = execution.status;
  if (status === 'FAILED' || status === 'TIMED_OUT') {
    await recordRunOutcome({
      runId: run.runId,
      status: 'FAILED',
      error: executionError(execution),
    });
  } else if (status === 'SUCCEEDED') {
    await recordRunOutcome({
      runId: run.runId,
      status: 'SUCCEEDED',
      outcome: UNRECORDED_SUCCESS_OUTCOME,
    });
  } else if (status === 'ABORTED') {
    const outcome = STOPPED_RUN_OUTCOME;
    await finishRun(
      run.runId,
      { status: 'ABORTED', outcome },
      new Date().toISOString(),
    );
  } else {
    return run;
  }

  return requireRun(run.runId);
};
