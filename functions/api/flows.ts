import { z } from 'zod';
import { parseInput } from '../domain/action.js';
import { auditActor, recordAudit } from '../domain/audit.js';
import { isJsonObject } from '../domain/custom-flow-rules.js';
import {
  createCustomFlow,
  deleteCustomFlow,
  editCustomFlow,
  settleCustomRun,
} from '../domain/custom-flows.js';
import { InvalidInputError } from '../domain/errors.js';
import { describeExecution } from '../domain/executions.js';
import {
  createFlow,
  deleteFlow,
  FLOW_TRIGGERS,
  type Flow,
  type FlowDoor,
  listFlows,
  requireVisibleFlow,
  saveFlowVersion,
} from '../domain/flows.js';
import { randomId } from '../domain/ids.js';
import { type Actor, idSchema, ROLE_GROUPS } from '../domain/model.js';
import { listRunsOfFlow, requireRun } from '../domain/runs.js';
import { checkFieldMapping } from '../domain/servicenow-fields.js';
import {
  flowTarget,
  resolveTarget,
  runIdFor,
  startRun,
} from '../domain/start-run.js';
import {
  isTemplateKey,
  TEMPLATES,
  type TemplateKey,
} from '../domain/templates.js';
import {
  type ApiRequest,
  type ApiResponse,
  idempotencyKeyOf,
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

/** Which template a trigger may start: the change must fit the flow. */
const TRIGGER_TEMPLATES: Record<string, TemplateKey> = {
  'policy-member-added': 'notify-users',
  'alert-confirmed': 'notify-manager',
};

const flowBody = z
  .object({
    templateId: z.string(),
    name: z.string().trim().min(1).max(200),
    settings: z.record(z.string(), z.unknown()).default({}),
    trigger: z.enum(FLOW_TRIGGERS).nullable().optional(),
  })
  .strict();

/** A custom flow: its trigger kind and its ASL (object or JSON text). */
const customFlowBody = z
  .object({
    templateId: z.literal('custom'),
    name: z.string().trim().min(1).max(200),
    target: z.enum(['case', 'user']),
    definition: z.unknown(),
  })
  .strict();

const editBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    trigger: z.enum(FLOW_TRIGGERS).nullable().optional(),
    definition: z.unknown().optional(),
  })
  .strict()
  .refine((body) => Object.keys(body).length > 0, {
    message: 'send at least one of name, settings, trigger, definition',
  });

const shareBody = z
  .object({
    users: z.array(idSchema).max(100).default([]),
    groups: z.array(z.enum(ROLE_GROUPS)).max(6).default([]),
  })
  .strict()
  .refine((body) => body.users.length + body.groups.length > 0, {
    message: 'name at least one user or role group to share with',
  });

/** Validates a template's settings, with the rules a schema cannot state. */
const checkedSettings = (
  templateId: TemplateKey,
  settings: Record<string, unknown>,
): Record<string, unknown> => {
  const parsed = parseInput(
    TEMPLATES[templateId].settings,
    settings,
    'settings',
  );
  if (templateId === 'servicenow-record') {
    const problems = checkFieldMapping(
      (parsed as { fields: Record<string, string> }).fields,
    );
    if (problems.length > 0) {
      throw new InvalidInputError(
        `Invalid settings: ${problems.map((p) => p.problem).join('; ')}`,
        problems.map((p) => ({ ...p, field: `settings.${p.field}` })),
      );
    }
  }

  return parsed;
};

const checkTrigger = (
  templateId: TemplateKey,
  trigger: Flow['trigger'] | null | undefined,
): void => {
  if (trigger && TRIGGER_TEMPLATES[trigger] !== templateId) {
    throw new InvalidInputError(
      `The ${trigger} trigger starts ${TRIGGER_TEMPLATES[trigger]} flows only`,
      [{ field: 'trigger', problem: `not available for ${templateId}` }],
    );
  }
};

/** How a flow is shared, in the words the API answers with. */
const sharingOf = (flow: Flow) => ({
  owners: flow.owners,
  ownerGroups: flow.ownerGroups,
  sharedWithNobody: flow.owners.length + flow.ownerGroups.length === 0,
  message:
    flow.owners.length + flow.ownerGroups.length === 0
      ? 'Shared with nobody: only its creator sees this flow until it is shared.'
      : 'Shared: its owners have full access.',
});

const auditFlow = (
  actor: Actor,
  action: string,
  flow: Flow,
  change: { before?: unknown; after?: unknown } = {},
) =>
  recordAudit({
    actor: auditActor(actor),
    category: 'flows',
    action,
    target: { type: 'flow', id: flow.flowId },
    ...change,
  });

/**
 * Creates a custom flow: its state machine, then the flow. With an
 * `Idempotency-Key`, repeating the request answers the flow it created.
 */
const createCustomFlowAt = async (
  door: FlowDoor,
  request: ApiRequest,
): Promise<ApiResponse> => {
  const body = parseInput(customFlowBody, request.body, 'body');
  const key = idempotencyKeyOf(request);
  const { flow, created } = await createCustomFlow(body, {
    actor: request.actor,
    door,
    idempotencyKey: key,
  });
  await recordAudit({
    eventId: `created-${flow.flowId}`,
    actor: auditActor(request.actor),
    category: 'flows',
    action: 'flow.created',
    target: { type: 'flow', id: flow.flowId },
    after: flow,
  });

  return {
    status: created ? 201 : 200,
    body: { flow, sharing: sharingOf(flow), repeated: !created },
  };
};

/** Creates a flow from a template; settings not given take the defaults. */
const createFlowAt =
  (door: FlowDoor) =>
  async (request: ApiRequest): Promise<ApiResponse> => {
    if (isJsonObject(request.body) && request.body.templateId === 'custom') {
      return createCustomFlowAt(door, request);
    }
    const body = parseInput(flowBody, request.body, 'body');
    if (!isTemplateKey(body.templateId)) {
      throw new InvalidInputError(`No template ${body.templateId}`, [
        {
          field: 'templateId',
          problem: `must be custom or one of ${Object.keys(TEMPLATES).join(', ')}`,
        },
      ]);
    }
    checkTrigger(body.templateId, body.trigger);
    const now = new Date().toISOString();
    const flow = await createFlow({
      flowId: randomId('flow'),
      templateId: body.templateId,
      name: body.name,
      settings: checkedSettings(body.templateId, body.settings),
      door,
      createdBy: request.actor.userId,
      createdAt: now,
      updatedAt: now,
      updatedBy: request.actor.userId,
      owners: [],
      ownerGroups: [],
      ...(body.trigger ? { trigger: body.trigger } : {}),
    });
    await auditFlow(request.actor, 'flow.created', flow, { after: flow });

    return { status: 201, body: { flow, sharing: sharingOf(flow) } };
  };

/** "My flows" (created by the caller) and "Team flows" (shared with them). */
const listFlowsAt =
  () =>
  async (request: ApiRequest): Promise<ApiResponse> => {
    const actor = request.actor;
    const flows = await listFlows();
    const myFlows = flows.filter((flow) => flow.createdBy === actor.userId);
    const teamFlows = flows.filter(
      (flow) =>
        flow.createdBy !== actor.userId &&
        (flow.owners.includes(actor.userId) ||
          flow.ownerGroups.some((group) => actor.groups.includes(group))),
    );

    return { status: 200, body: { myFlows, teamFlows } };
  };

const getFlowAt =
  () =>
  async (request: ApiRequest): Promise<ApiResponse> => {
    const flow = await requireVisibleFlow(
      request.params.flowId ?? '',
      request.actor,
    );

    return { status: 200, body: { flow, sharing: sharingOf(flow) } };
  };

/** Edits a custom flow's name and/or definition; its machine follows. */
const editCustomFlowAt = async (
  request: ApiRequest,
  before: Flow,
  body: z.infer<typeof editBody>,
): Promise<ApiResponse> => {
  const extra = (['settings', 'trigger'] as const).filter(
    (field) => body[field] !== undefined,
  );
  if (extra.length > 0) {
    throw new InvalidInputError(
      'A custom flow is edited through its name and definition',
      extra.map((field) => ({
        field,
        problem: 'custom flows have none; send name and/or definition',
      })),
    );
  }
  const after = await editCustomFlow(before, body, request.actor);
  await auditFlow(request.actor, 'flow.edited', after, { before, after });

  return { status: 200, body: { flow: after, sharing: sharingOf(after) } };
};

/** Edits a flow: a new version; runs keep the version they started with. */
const editFlowAt =
  () =>
  async (request: ApiRequest): Promise<ApiResponse> => {
    const body = parseInput(editBody, request.body, 'body');
    const before = await requireVisibleFlow(
      request.params.flowId ?? '',
      request.actor,
    );
    if (before.templateId === 'custom') {
      return editCustomFlowAt(request, before, body);
    }
    if (body.definition !== undefined) {
      throw new InvalidInputError('Only custom flows have a definition', [
        {
          field: 'definition',
          problem: `not part of a ${before.templateId} flow`,
        },
      ]);
    }
    const trigger = body.trigger === undefined ? before.trigger : body.trigger;
    checkTrigger(before.templateId, trigger);
    const { version, revision, ...rest } = before;
    const after = await saveFlowVersion(before, {
      ...rest,
      name: body.name ?? before.name,
      settings: body.settings
        ? checkedSettings(before.templateId, body.settings)
        : before.settings,
      trigger: trigger ?? undefined,
      updatedAt: new Date().toISOString(),
      updatedBy: request.actor.userId,
    });
    await auditFlow(request.actor, 'flow.edited', after, { before, after });

    return { status: 200, body: { flow: after, sharing: sharingOf(after) } };
  };

/** Shares a flow with people or role groups, as owners with full access. */
const shareFlowAt =
  () =>
  async (request: ApiRequest): Promise<ApiResponse> => {
    const body = parseInput(shareBody, request.body, 'body');
    const before = await requireVisibleFlow(
      request.params.flowId ?? '',
      request.actor,
    );
    const { version, revision, ...rest } = before;
    const after = await saveFlowVersion(before, {
      ...rest,
      owners: [...new Set([...before.owners, ...body.users])],
      ownerGroups: [...new Set([...before.ownerGroups, ...body.groups])],
      updatedAt: new Date().toISOString(),
      updatedBy: request.actor.userId,
    });
    await auditFlow(request.actor, 'flow.shared', after, {
      before: sharingOf(before),
      after: sharingOf(after),
    });

    return { status: 200, body: { flow: after, sharing: sharingOf(after) } };
  };

/**
 * Deletes a flow for everyone. Template runs in flight finish; a custom
 * flow's runs in flight are stopped with its state machine (see
 * deleteCustomFlow) and listed in the answer.
 */
const deleteFlowAt =
  () =>
  async (request: ApiRequest): Promise<ApiResponse> => {
    const flow = await requireVisibleFlow(
      request.params.flowId ?? '',
      request.actor,
    );
    const now = new Date().toISOString();
    if (flow.templateId === 'custom') {
      const stoppedRuns = await deleteCustomFlow(flow, request.actor, now);
      await auditFlow(request.actor, 'flow.deleted', flow, {
        before: flow,
        after: { stoppedRuns },
      });

      return { status: 200, body: { deleted: flow.flowId, stoppedRuns } };
    }
    await deleteFlow(flow, request.actor, now);
    await auditFlow(request.actor, 'flow.deleted', flow, { before: flow });

    return { status: 200, body: { deleted: flow.flowId } };
  };

/** The routes of one door, by the route ids of the route table. */
export const flowRoutes = (door: FlowDoor) => ({
  create: createFlowAt(door),
  list: listFlowsAt(),
  get: getFlowAt(),
  edit: editFlowAt(),
  share: shareFlowAt(),
  remove: deleteFlowAt(),
});

const runBody = z
  .object({
    caseId: idSchema.optional(),
    userId: idSchema.optional(),
    policyId: idSchema.optional(),
  })
  .strict();

/**
 * Starts a run and answers 202 at once. Running needs sight of the flow and
 * of the case or user. The same `Idempotency-Key` from the same person
 * returns the same run.
 */
export const startRunRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const body = parseInput(runBody, request.body ?? {}, 'body');
  const key = idempotencyKeyOf(request);
  const flow = await requireVisibleFlow(
    request.params.flowId ?? '',
    request.actor,
  );
  const kind = flowTarget(flow);
  requireGroup(
    request.actor,
    kind === 'case' ? CASE_READERS : USER_READERS,
    `Running a flow on a ${kind}`,
  );
  const target = await resolveTarget(kind, body);
  const runId = runIdFor(flow.flowId, request.actor.userId, key);
  const stored = await startRun(flow, target, request.actor.userId, runId);
  if (stored.created) {
    await recordAudit({
      eventId: `started-${runId}`,
      actor: auditActor(request.actor),
      category: 'runs',
      action: 'run.started',
      target: { type: 'run', id: runId },
      after: { flowId: flow.flowId, ...target },
    });
  }

  return { status: 202, body: { run: stored.run, repeated: !stored.created } };
};

const AUDITORS = ['InsiderRiskManagement', 'InsiderRiskManagementAuditors'];
const isAuditor = (actor: Actor): boolean =>
  actor.groups.some((group) => AUDITORS.includes(group));

/**
 * A run with its status, steps and times. Auditors read any run, also of a
 * deleted flow; others need sight of the flow.
 */
export const getRunRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const run = await requireRun(request.params.runId ?? '');
  if (!isAuditor(request.actor)) {
    await requireVisibleFlow(run.flowId, request.actor);
  }
  const execution = await describeExecution(run.executionArn);
  const settled = await settleCustomRun(run, execution);
  const status =
    settled.status !== 'RUNNING'
      ? settled.status
      : (execution?.status ?? 'STARTING');

  return {
    status: 200,
    body: { run: { ...settled, status, steps: execution?.steps ?? [] } },
  };
};

export const listFlowRunsRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const flowId = request.params.flowId ?? '';
  if (!isAuditor(request.actor)) {
    await requireVisibleFlow(flowId, request.actor);
  }
  const page = await listRunsOfFlow(
    flowId,
    pageLimit(request.query),
    request.query.cursor,
  );

  return {
    status: 200,
    body: { runs: page.items, nextCursor: page.nextCursor },
  };
};
