import { z } from 'zod';
import { parseInput } from '../domain/action.js';
import { auditActor, recordAudit } from '../domain/audit.js';
import { isJsonObject } from '../domain/custom-flow-rules.js';
import {
  createCustomFlow,
  deleteCustomFlow,
  editCustomFlow,
} from '../domain/custom-flows.js';
import {
  ConflictError,
  type FieldProblem,
  InvalidInputError,
  NotFoundError,
} from '../domain/errors.js';
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
import {
  type Actor,
  idSchema,
  ROLE_GROUPS,
  type RoleGroup,
  singleLineText,
} from '../domain/model.js';
import { settleRun } from '../domain/outcomes.js';
import type { RunTarget } from '../domain/runs.js';
import { listRunsOfFlow, type Run, requireRun } from '../domain/runs.js';
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
import {
  CASE_READERS,
  FLOW_DOOR_ROLES,
  runnersOf,
  USER_READERS,
} from './routes.js';

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
    name: singleLineText(200),
    settings: z.record(z.string(), z.unknown()).default({}),
    trigger: z.enum(FLOW_TRIGGERS).nullable().optional(),
  })
  .strict();

/** A custom flow: its trigger kind and its ASL (object or JSON text). */
const customFlowBody = z
  .object({
    templateId: z.literal('custom'),
    name: singleLineText(200),
    target: z.enum(['case', 'user']),
    definition: z.unknown(),
  })
  .strict();

const editBody = z
  .object({
    name: singleLineText(200).optional(),
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

/** A 400 naming each setting at fault as `settings.<name>`. */
const invalidSettings = (
  problems: readonly FieldProblem[],
): InvalidInputError => {
  const fields = problems.map((p) => ({ ...p, field: `settings.${p.field}` }));
  const summary = fields.map((f) => `${f.field}: ${f.problem}`).join('; ');

  return new InvalidInputError(`Invalid body: ${summary}`, fields);
};

/**
 * The rules a template's schema cannot state. A request-info flow's
 * stakeholders default to none so that GET /templates can show the
 * defaults, but a flow that asks nobody could never run.
 */
const settingsProblems = (
  templateId: TemplateKey,
  settings: Record<string, unknown>,
): FieldProblem[] => {
  if (templateId === 'servicenow-record') {
    return checkFieldMapping(settings.fields as Record<string, string>);
  }
  const stakeholders = settings.stakeholders as readonly unknown[] | undefined;
  if (templateId === 'request-info' && stakeholders?.length === 0) {
    return [{ field: 'stakeholders', problem: 'add at least one stakeholder' }];
  }

  return [];
};

/** Validates a template's settings, with the rules a schema cannot state. */
const checkedSettings = (
  templateId: TemplateKey,
  settings: Record<string, unknown>,
): Record<string, unknown> => {
  // Parsed under `settings`, so that every problem names its setting as
  // the body does: settings.subject, settings.stakeholders.0.email.
  const schema = z.object({ settings: TEMPLATES[templateId].settings });
  const checked = parseInput(schema, { settings }, 'body').settings as Record<
    string,
    unknown
  >;
  const problems = settingsProblems(templateId, checked);
  if (problems.length > 0) throw invalidSettings(problems);

  return checked;
};

/**
 * What the answer says about a flow beyond its fields: a ServiceNow flow
 * that maps no correlation_id cannot find the record of an earlier run.
 */
const noticeOf = (flow: Flow): { notice?: string } => {
  const fields = flow.settings.fields as Record<string, string> | undefined;
  if (flow.templateId !== 'servicenow-record' || fields?.correlation_id) {
    return {};
  }

  return {
    notice:
      'No correlation_id is mapped, so each run creates its own ServiceNow ' +
      'record (a retried step still finds the record its run created). ' +
      'Map correlation_id, for example to {{case.caseId}}, for one record ' +
      'per case.',
  };
};

/**
 * Refuses to save a flow with a trigger unless the actor may run it: a
 * triggered run starts on their behalf, with nobody there to check.
 */
const requireTriggerRights = (
  actor: Actor,
  templateId: TemplateKey,
  trigger: Flow['trigger'] | null | undefined,
): void => {
  if (!trigger) return;
  const target = TEMPLATES[templateId].target;
  requireGroup(
    actor,
    runnersOf(target),
    `A flow with the ${trigger} trigger runs on ${target}s by itself: ` +
      'saving it',
  );
};

/** Who answers for a triggered flow's runs: the person who saved it. */
const triggerOwnerOf = (actor: Actor): Actor => ({
  userId: actor.userId,
  groups: [...actor.groups],
});

/** Where each door's flow routes start, for the answers that name them. */
const DOOR_PATHS: Readonly<Record<FlowDoor, string>> = {
  dashboard: '/flows',
  settings: '/settings/flows',
};

/**
 * Refuses role groups that cannot reach this door's flow routes: sharing
 * with them would give them a flow they can never open from here.
 */
const requireReachableGroups = (
  door: FlowDoor,
  groups: Flow['ownerGroups'],
): void => {
  const allowed = FLOW_DOOR_ROLES[door];
  const refused = groups.filter((group) => !allowed.includes(group));
  if (refused.length === 0) return;
  throw new InvalidInputError(
    `Cannot share with ${refused.join(', ')}: only ${allowed.join(', ')} ` +
      `reach the flows at ${DOOR_PATHS[door]}`,
    refused.map((group) => ({
      field: 'groups',
      problem: `${group} cannot use flows at ${DOOR_PATHS[door]}`,
    })),
  );
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
    requireTriggerRights(request.actor, body.templateId, body.trigger);
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
      ...(body.trigger
        ? { trigger: body.trigger, triggerOwner: triggerOwnerOf(request.actor) }
        : {}),
    });
    await auditFlow(request.actor, 'flow.created', flow, { after: flow });

    return {
      status: 201,
      body: { flow, sharing: sharingOf(flow), ...noticeOf(flow) },
    };
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

    return {
      status: 200,
      body: { flow, sharing: sharingOf(flow), ...noticeOf(flow) },
    };
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
    requireTriggerRights(request.actor, before.templateId, trigger);
    const { version, revision, ...rest } = before;
    const after = await saveFlowVersion(before, {
      ...rest,
      name: body.name ?? before.name,
      // A PATCH changes the settings it names; the merged settings are
      // checked as a whole, so rules across settings see the result.
      settings: body.settings
        ? checkedSettings(before.templateId, {
            ...before.settings,
            ...body.settings,
          })
        : before.settings,
      trigger: trigger ?? undefined,
      triggerOwner: trigger ? triggerOwnerOf(request.actor) : undefined,
      updatedAt: new Date().toISOString(),
      updatedBy: request.actor.userId,
    });
    await auditFlow(request.actor, 'flow.edited', after, { before, after });

    return {
      status: 200,
      body: { flow: after, sharing: sharingOf(after), ...noticeOf(after) },
    };
  };

/** Shares a flow with people or role groups, as owners with full access. */
const shareFlowAt =
  (door: FlowDoor) =>
  async (request: ApiRequest): Promise<ApiResponse> => {
    const body = parseInput(shareBody, request.body, 'body');
    requireReachableGroups(door, body.groups);
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
  share: shareFlowAt(door),
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
 * Refuses an Idempotency-Key that already started a run on another target:
 * the key names one request, and answering with that run would hide the
 * mistake. A policy the request leaves out matches the one the run chose.
 */
const requireSameTarget = (
  stored: RunTarget,
  requested: z.infer<typeof runBody>,
): void => {
  const same =
    stored.caseId === requested.caseId &&
    stored.userId === requested.userId &&
    (requested.policyId === undefined ||
      requested.policyId === stored.policyId);
  if (!same) {
    throw new ConflictError(
      'This Idempotency-Key was used for another request, a run on another ' +
        'case or user; send a new key to start a new run',
    );
  }
};

/**
 * Starts a run and answers 202 at once. Running needs sight of the flow and
 * of the case or user. The same `Idempotency-Key` from the same person
 * returns the same run; sent with another case or user, it answers 409.
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
  if (!stored.created) requireSameTarget(stored.run.target, body);
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

/** Role groups that read any run, also of a deleted flow. */
const RUN_AUDITORS: readonly RoleGroup[] = [
  'InsiderRiskManagement',
  'InsiderRiskManagementAuditors',
];

const readsAnyRun = (actor: Actor): boolean =>
  actor.groups.some((group) => RUN_AUDITORS.includes(group));

/** The role groups that see what a flow acts on: its cases or its users. */
const targetReaders = (flow: Flow): readonly RoleGroup[] =>
  flowTarget(flow) === 'case' ? CASE_READERS : USER_READERS;

/**
 * Whether the actor may read this run: auditors read any run; anyone else
 * needs sight of the flow and of the run's kind of target (cases or users).
 */
const maySeeRun = async (run: Run, actor: Actor): Promise<boolean> => {
  if (readsAnyRun(actor)) return true;
  try {
    const flow = await requireVisibleFlow(run.flowId, actor);

    return actor.groups.some((group) => targetReaders(flow).includes(group));
  } catch (error) {
    if (error instanceof NotFoundError) return false;
    throw error;
  }
};

/**
 * A run with its status, steps and times. A run whose execution ended
 * without the run recording it is settled first (see settleRun). A run the
 * caller may not read answers 404, as if it did not exist.
 */
export const getRunRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const runId = request.params.runId ?? '';
  const run = await requireRun(runId);
  if (!(await maySeeRun(run, request.actor))) {
    throw new NotFoundError(`No run ${runId}`);
  }
  const execution = await describeExecution(run.executionArn);
  const settled = await settleRun(run, execution);
  const status =
    settled.status !== 'RUNNING'
      ? settled.status
      : (execution?.status ?? 'STARTING');

  return {
    status: 200,
    body: { run: { ...settled, status, steps: execution?.steps ?? [] } },
  };
};

/** Settles the page's runs still RUNNING whose execution has ended. */
const settledRuns = (runs: readonly Run[]): Promise<Run[]> =>
  Promise.all(
    runs.map(async (run) =>
      run.status === 'RUNNING'
        ? settleRun(
            run,
            await describeExecution(run.executionArn, { history: false }),
          )
        : run,
    ),
  );

/**
 * A flow's runs, newest first. Auditors read the runs of any flow, also a
 * deleted one; anyone else needs sight of the flow (404) and of its kind
 * of target (403).
 */
export const listFlowRunsRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const flowId = request.params.flowId ?? '';
  if (!readsAnyRun(request.actor)) {
    const flow = await requireVisibleFlow(flowId, request.actor);
    requireGroup(
      request.actor,
      targetReaders(flow),
      `Reading the runs of a ${flowTarget(flow)} flow`,
    );
  }
  const page = await listRunsOfFlow(
    flowId,
    pageLimit(request.query),
    request.query.cursor,
  );

  return {
    status: 200,
    body: { runs: await settledRuns(page.items), nextCursor: page.nextCursor },
  };
};
