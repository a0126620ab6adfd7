import { runnersOf } from '../api/routes.js';
import { recordAudit } from './audit.js';
import { requireCase } from './cases.js';
import { getPolicyMember, requireUser } from './directory.js';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.js';
import { type Flow, type FlowTrigger, listFlows } from './flows.js';
import { deterministicId } from './ids.js';
import { logger } from './logger.js';
import type { Actor } from './model.js';
import type { RunTarget } from './runs.js';
import { flowTarget, startRun } from './start-run.js';

/**
 * Event triggers: flows that start by themselves when something happens.
 * A user added to a policy starts the `policy-member-added` flows (the
 * notify-users template) on that user and policy; an alert confirmed into a
 * case starts the `alert-confirmed` flows (notify-manager) on that case.
 *
 * Each run id is derived from the flow and the change, so a change delivered
 * twice, or made twice, starts one run: the second start finds the run the
 * first one stored. A triggered run is started on behalf of the person who
 * saved the flow with its trigger (`triggerOwner`), since every run needs a
 * person accountable for it, and only if the role groups recorded for them
 * may run the flow: a trigger must not run what its owner could not. The
 * audit log names the trigger as the actor.
 */

/** The tables whose changes may start flows. */
export type TriggerTable = 'policyMembers' | 'alerts';

/** A change to one item, as a table's change stream reports it. */
export interface TableChange {
  readonly table: TriggerTable;
  readonly kind: 'INSERT' | 'MODIFY' | 'REMOVE';
  readonly before?: Readonly<Record<string, unknown>>;
  readonly after?: Readonly<Record<string, unknown>>;
}

/** What a change means for flows: the trigger, its target, its identity. */
export interface TriggerEvent {
  readonly trigger: FlowTrigger;
  readonly target: RunTarget;
  /** Parts naming the change: the same change always gives the same parts. */
  readonly changeKey: readonly string[];
}

/** What became of one triggered flow. */
export interface TriggeredRun {
  readonly flowId: string;
  readonly runId: string;
  readonly outcome: 'started' | 'already-started' | 'skipped';
}

const text = (
  image: TableChange['after'],
  field: string,
): string | undefined => {
  const value = image?.[field];

  return typeof value === 'string' && value !== '' ? value : undefined;
};

const memberAdded = (change: TableChange): TriggerEvent | undefined => {
  const policyId = text(change.after, 'policyId');
  const userId = text(change.after, 'userId');
  const addedAt = text(change.after, 'addedAt');
  if (change.kind !== 'INSERT' || !policyId || !userId || !addedAt) {
    return undefined;
  }

  return {
    trigger: 'policy-member-added',
    target: { userId, policyId },
    changeKey: [policyId, userId, addedAt],
  };
};

const alertConfirmed = (change: TableChange): TriggerEvent | undefined => {
  const alertId = text(change.after, 'alertId');
  const caseId = text(change.after, 'caseId');
  const confirmedNow =
    text(change.after, 'status') === 'Confirmed' &&
    text(change.before, 'status') !== 'Confirmed';
  if (!confirmedNow || !alertId || !caseId) return undefined;

  return {
    trigger: 'alert-confirmed',
    target: { caseId },
    changeKey: [alertId, caseId],
  };
};

/**
 * The trigger a change fires, if any: a new policy member, or an alert
 * whose status became Confirmed with a case. Every other change (edits,
 * removals, a confirmed alert edited again) fires nothing.
 */
export const triggerEventOf = (
  change: TableChange,
): TriggerEvent | undefined =>
  change.table === 'policyMembers'
    ? memberAdded(change)
    : alertConfirmed(change);

/** The run a flow gets for a change: the same for every delivery of it. */
export const triggeredRunId = (flowId: string, event: TriggerEvent): string =>
  deterministicId('run', flowId, event.trigger, ...event.changeKey);

/**
 * Starts every flow, not deleted, whose trigger the event fires. A flow
 * whose trigger owner may not run it, or whose target no longer fits, is
 * logged and skipped (a flow saved before trigger owners were recorded has
 * none, and is skipped until someone who may run it saves it again); any
 * other failure is
 * thrown, so that the change is delivered again and the flows started
 * before the failure find their runs already there.
 */
export const startTriggeredRuns = async (
  event: TriggerEvent,
): Promise<TriggeredRun[]> => {
  const flows = (await listFlows()).filter(
    (flow) => flow.trigger === event.trigger,
  );
  const runs: TriggeredRun[] = [];
  for (const flow of flows) runs.push(await startTriggeredRun(flow, event));

  return runs;
};

const startTriggeredRun = async (
  flow: Flow,
  event: TriggerEvent,
): Promise<TriggeredRun> => {
  const runId = triggeredRunId(flow.flowId, event);
  const fields = { flowId: flow.flowId, runId, trigger: event.trigger };
  const owner = flow.triggerOwner;
  if (owner === undefined || !mayRun(owner, flow)) {
    logger.warn(
      'Triggered flow skipped: whoever saved its trigger may not run it',
      { ...fields, ownerRecorded: owner !== undefined },
    );

    return { flowId: flow.flowId, runId, outcome: 'skipped' };
  }
  const target = await fittingTarget(flow, event);
  if (target === undefined) {
    logger.warn('Triggered flow skipped: its target no longer fits', fields);

    return { flowId: flow.flowId, runId, outcome: 'skipped' };
  }
  const stored = await startRun(flow, target, owner.userId, runId);
  await auditTriggeredStart(flow, event, stored.run);
  logger.info('Triggered run started', { ...fields, created: stored.created });

  return {
    flowId: flow.flowId,
    runId,
    outcome: stored.created ? 'started' : 'already-started',
  };
};

/**
 * Whether the recorded groups may run the flow on its kind of target, as
 * the API checks when a person starts a run.
 */
const mayRun = (owner: Actor, flow: Flow): boolean =>
  owner.groups.some((group) => runnersOf(flowTarget(flow)).includes(group));

/**
 * The event's target if it still fits the flow: the user still exists and
 * is still in the policy, or the case still exists. The membership is read
 * from the table itself, not from the by-user index, which may lag behind
 * the change that fired the trigger.
 */
const fittingTarget = async (
  flow: Flow,
  event: TriggerEvent,
): Promise<RunTarget | undefined> => {
  const { userId, policyId, caseId } = event.target;
  const kind = flowTarget(flow);
  try {
    if (kind === 'case' && caseId) {
      await requireCase(caseId);

      return { caseId };
    }
    if (kind === 'user' && userId && policyId) {
      await requireUser(userId);
      const member = await getPolicyMember(policyId, userId);

      return member ? { userId, policyId } : undefined;
    }

    return undefined;
  } catch (error) {
    if (isTargetGone(error)) return undefined;
    throw error;
  }
};

const isTargetGone = (error: unknown): boolean =>
  error instanceof NotFoundError ||
  error instanceof ConflictError ||
  error instanceof InvalidInputError;

/**
 * Records the start in the audit log, with the trigger as the actor. The
 * event id and time come from the run, so a redelivery records it once.
 */
const auditTriggeredStart = (
  flow: Flow,
  event: TriggerEvent,
  run: { runId: string; startedAt: string; startedBy: string },
) =>
  recordAudit({
    eventId: `started-${run.runId}`,
    at: run.startedAt,
    actor: { userId: `trigger:${event.trigger}`, groups: [] },
    category: 'runs',
    action: 'run.started',
    target: { type: 'run', id: run.runId },
    after: {
      flowId: flow.flowId,
      trigger: event.trigger,
      startedBy: run.startedBy,
      ...event.target,
    },
  });
