import { requireCase } from './cases.js';
import { listMembershipsOfUser, requireUser } from './directory.js';
import { ConflictError, InvalidInputError } from './errors.js';
import {
  executionArnFor,
  startExecution,
  templateMachineArn,
} from './executions.js';
import { type Flow, versionKey } from './flows.js';
import { deterministicId, randomId } from './ids.js';
import {
  putRunIfAbsent,
  type Run,
  type RunInput,
  type RunTarget,
} from './runs.js';
import { type FlowTarget, TEMPLATES } from './templates.js';

/** What a run was asked to act on, before it is checked. */
export interface TargetRequest {
  readonly caseId?: string;
  readonly userId?: string;
  readonly policyId?: string;
}

/** Whether a flow runs on a case or on a user. */
export const flowTarget = (flow: Flow): FlowTarget =>
  flow.templateId === 'custom'
    ? ((flow.settings.target as FlowTarget | undefined) ?? 'case')
    : TEMPLATES[flow.templateId].target;

/** The state machine a flow's runs execute. */
export const flowMachineArn = (flow: Flow): string =>
  templateMachineArn(
    flow.templateId === 'custom' ? `custom-${flow.flowId}` : flow.templateId,
  );

/**
 * A run id: derived from the caller's idempotency key when there is one, so
 * a repeated start finds the run it started before.
 */
export const runIdFor = (
  flowId: string,
  startedBy: string,
  idempotencyKey?: string,
): string =>
  idempotencyKey
    ? deterministicId('run', flowId, startedBy, idempotencyKey)
    : randomId('run');

/** Checks the run's target exists and fits the flow. */
export const resolveTarget = async (
  kind: FlowTarget,
  request: TargetRequest,
): Promise<RunTarget> => {
  if (kind === 'case') {
    if (!request.caseId || request.userId || request.policyId) {
      throw new InvalidInputError(
        'This flow runs on a case: send { "caseId" }',
        [{ field: 'caseId', problem: 'required, and alone, for a case flow' }],
      );
    }
    await requireCase(request.caseId);

    return { caseId: request.caseId };
  }
  if (!request.userId || request.caseId) {
    throw new InvalidInputError('This flow runs on a user: send { "userId" }', [
      { field: 'userId', problem: 'required, without caseId, for a user flow' },
    ]);
  }
  await requireUser(request.userId);

  return { userId: request.userId, policyId: await policyOf(request) };
};

/** The policy named in the request, else the one the user joined last. */
const policyOf = async (request: TargetRequest): Promise<string> => {
  const memberships = await listMembershipsOfUser(request.userId ?? '');
  if (request.policyId) {
    if (!memberships.some((m) => m.policyId === request.policyId)) {
      throw new ConflictError(
        `User ${request.userId} is not in the scope of policy ${request.policyId}`,
      );
    }

    return request.policyId;
  }
  const latest = memberships.sort((a, b) =>
    b.addedAt.localeCompare(a.addedAt),
  )[0];
  if (!latest) {
    throw new ConflictError(
      `User ${request.userId} is in no policy's scope; add them to one first`,
    );
  }

  return latest.policyId;
};

const runInput = (run: Run): RunInput => ({
  runId: run.runId,
  flowId: run.flowId,
  flowVersion: run.flowVersion,
  startedBy: run.startedBy,
  ...run.target,
});

/**
 * Records a run and starts its execution, named after the run. Starting
 * the same run id again returns the stored run and starts nothing new.
 */
export const startRun = async (
  flow: Flow,
  target: RunTarget,
  startedBy: string,
  runId: string,
): Promise<{ run: Run; created: boolean }> => {
  const machineArn = flowMachineArn(flow);
  const stored = await putRunIfAbsent({
    runId,
    flowId: flow.flowId,
    flowVersion: versionKey(flow.revision),
    flowName: flow.name,
    templateId: flow.templateId,
    target,
    startedBy,
    startedAt: new Date().toISOString(),
    executionArn: executionArnFor(machineArn, runId),
    status: 'RUNNING',
  });
  if (stored.run.status === 'RUNNING') {
    await startExecution(machineArn, runInput(stored.run));
  }

  return stored;
};
