import { z } from 'zod';
import { parseInput } from '../domain/action.js';
import { requireCase } from '../domain/cases.js';
import { listMembershipsOfUser, requireUser } from '../domain/directory.js';
import { ConflictError, InvalidInputError } from '../domain/errors.js';
import {
  describeExecution,
  executionArnFor,
  startExecution,
  templateMachineArn,
} from '../domain/executions.js';
import { createFlow, listFlows, requireFlow } from '../domain/flows.js';
import { deterministicId, randomId } from '../domain/ids.js';
import { idSchema } from '../domain/model.js';
import { checkFieldMapping } from '../domain/servicenow-fields.js';
import {
  listRunsOfFlow,
  putRunIfAbsent,
  requireRun,
  type Run,
  type RunInput,
  type RunTarget,
} from '../domain/runs.js';
import { isTemplateKey, TEMPLATES } from '../domain/templates.js';
import {
  type ApiRequest,
  type ApiResponse,
  pageLimit,
  requireGroup,
} from './http.js';
import { CASE_READERS, USER_READERS } from './routes.js';

export const listTemplatesRoute = async (): Promise<ApiResponse> => ({
  status: 200,
  body: {
    templates: Object.entries(TEMPLATES).map(([templateId, template]) => ({
      templateId,
      name: template.name,
      target: template.target,
      defaults: template.settings.parse({}),
    })),
  },
});

const flowBody = z
  .object({
    templateId: z.string(),
    name: z.string().trim().min(1).max(200),
    settings: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();

/** Creates a flow from a template; settings not given take the defaults. */
export const createFlowRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const body = parseInput(flowBody, request.body, 'body');
  if (!isTemplateKey(body.templateId)) {
    throw new InvalidInputError(`No template ${body.templateId}`, [
      {
        field: 'templateId',
        problem: `must be one of ${Object.keys(TEMPLATES).join(', ')}`,
      },
    ]);
  }
  const template = TEMPLATES[body.templateId];
  const settings = parseInput(template.settings, body.settings, 'settings');
  checkSettings(body.templateId, settings);
  const now = new Date().toISOString();
  const flow = await createFlow({
    flowId: randomId('flow'),
    version: '',
    revision: 1,
    templateId: body.templateId,
    name: body.name,
    settings,
    createdBy: request.actor.userId,
    createdAt: now,
    updatedAt: now,
  });

  return { status: 201, body: { flow } };
};

/** Rules a settings schema cannot state: a ServiceNow mapping's paths. */
const checkSettings = (templateId: string, settings: object): void => {
  if (templateId !== 'servicenow-record') return;
  const problems = checkFieldMapping(
    (settings as { fields: Record<string, string> }).fields,
  );
  if (problems.length > 0) {
    throw new InvalidInputError(
      `Invalid settings: ${problems.map((p) => p.problem).join('; ')}`,
      problems.map((p) => ({ ...p, field: `settings.${p.field}` })),
    );
  }
};

export const listFlowsRoute = async (): Promise<ApiResponse> => ({
  status: 200,
  body: { flows: await listFlows() },
});

export const getFlowRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => ({
  status: 200,
  body: { flow: await requireFlow(request.params.flowId ?? '') },
});

const runBody = z
  .object({
    caseId: idSchema.optional(),
    userId: idSchema.optional(),
    policyId: idSchema.optional(),
  })
  .strict();

const idempotencyKey = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{8,128}$/, 'use 8 to 128 letters, digits, . _ : -')
  .optional();

/**
 * Starts a run and answers 202 at once. The same `Idempotency-Key` from the
 * same person returns the same run.
 */
export const startRunRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const body = parseInput(runBody, request.body ?? {}, 'body');
  const key = parseInput(
    idempotencyKey,
    request.headers['idempotency-key'],
    'Idempotency-Key header',
  );
  const flow = await requireFlow(request.params.flowId ?? '');
  const kind = TEMPLATES[flow.templateId].target;
  requireGroup(
    request.actor,
    kind === 'case' ? CASE_READERS : USER_READERS,
    `Running a flow on a ${kind}`,
  );
  const target = await resolveTarget(kind, body);
  const runId = key
    ? deterministicId('run', flow.flowId, request.actor.userId, key)
    : randomId('run');
  const machineArn = templateMachineArn(flow.templateId);
  const stored = await putRunIfAbsent({
    runId,
    flowId: flow.flowId,
    flowVersion: flow.version === 'current' ? versionOf(flow) : flow.version,
    flowName: flow.name,
    templateId: flow.templateId,
    target,
    startedBy: request.actor.userId,
    startedAt: new Date().toISOString(),
    executionArn: executionArnFor(machineArn, runId),
    status: 'RUNNING',
  });
  await startExecution(machineArn, runInput(stored.run));

  return { status: 202, body: { run: stored.run, repeated: !stored.created } };
};

const versionOf = (flow: { revision: number }): string =>
  `v${String(flow.revision).padStart(6, '0')}`;

const runInput = (run: Run): RunInput => ({
  runId: run.runId,
  flowId: run.flowId,
  flowVersion: run.flowVersion,
  startedBy: run.startedBy,
  ...run.target,
});

/** Checks the run's target exists and fits the template. */
const resolveTarget = async (
  kind: 'case' | 'user',
  body: z.infer<typeof runBody>,
): Promise<RunTarget> => {
  if (kind === 'case') {
    if (!body.caseId || body.userId || body.policyId) {
      throw new InvalidInputError('This flow runs on a case: send { "caseId" }', [
        { field: 'caseId', problem: 'required, and alone, for a case flow' },
      ]);
    }
    await requireCase(body.caseId);

    return { caseId: body.caseId };
  }
  if (!body.userId || body.caseId) {
    throw new InvalidInputError('This flow runs on a user: send { "userId" }', [
      { field: 'userId', problem: 'required, without caseId, for a user flow' },
    ]);
  }
  await requireUser(body.userId);

  return { userId: body.userId, policyId: await policyOf(body) };
};

/** The policy named in the request, else the one the user joined last. */
const policyOf = async (body: z.infer<typeof runBody>): Promise<string> => {
  const memberships = await listMembershipsOfUser(body.userId ?? '');
  if (body.policyId) {
    if (!memberships.some((m) => m.policyId === body.policyId)) {
      throw new ConflictError(
        `User ${body.userId} is not in the scope of policy ${body.policyId}`,
      );
    }

    return body.policyId;
  }
  const latest = memberships.sort((a, b) =>
    b.addedAt.localeCompare(a.addedAt),
  )[0];
  if (!latest) {
    throw new ConflictError(
      `User ${body.userId} is in no policy's scope; add them to one first`,
    );
  }

  return latest.policyId;
};

/** A run with its status, steps and times, in words where it failed. */
export const getRunRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const run = await requireRun(request.params.runId ?? '');
  const execution = await describeExecution(run.executionArn);
  const status =
    run.status !== 'RUNNING' ? run.status : (execution?.status ?? 'STARTING');

  return {
    status: 200,
    body: { run: { ...run, status, steps: execution?.steps ?? [] } },
  };
};

export const listFlowRunsRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const flow = await requireFlow(request.params.flowId ?? '');
  const page = await listRunsOfFlow(
    flow.flowId,
    pageLimit(request.query),
    request.query.cursor,
  );

  return { status: 200, body: { runs: page.items, nextCursor: page.nextCursor } };
};
