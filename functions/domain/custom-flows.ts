import {
  deleteCustomMachine,
  putCustomMachine,
  runningCustomRuns,
  stopCustomRun,
} from './custom-flow-machine.js';
import { checkCustomDefinition } from './custom-flow-rules.js';
import { ConflictError } from './errors.js';
import {
  createFlow,
  deleteFlow,
  type Flow,
  type FlowDoor,
  getFlow,
  saveFlowVersion,
} from './flows.js';
import { deterministicId, randomId, sha256 } from './ids.js';
import type { Actor } from './model.js';
import { finishRun } from './runs.js';
import type { FlowTarget } from './templates.js';

/*
 * Custom flows: a flow item (templateId `custom`, the definition, and the
 * trigger kind in `settings.target`) plus its own state machine. The
 * machine is always written before the flow item, under a name derived
 * from the flow id, so a crash leaves at worst a machine that no flow
 * points at and that nothing can start; repeating the request converges.
 */

/** A custom flow as the API asks for it. */
export interface CustomFlowRequest {
  readonly name: string;
  readonly target: FlowTarget;
  /** JSONPath ASL in short action names, as an object or JSON text. */
  readonly definition: unknown;
}

/** Who creates the flow, from which door, and the request's repeat key. */
export interface CustomFlowOrigin {
  readonly actor: Actor;
  readonly door: FlowDoor;
  /** With a key, repeating the same request finds the flow it created. */
  readonly idempotencyKey?: string;
}

/** Outcome of a run that was in flight when its flow was deleted. */
export const DELETED_RUN_OUTCOME =
  'Stopped: the flow was deleted while this run was in flight.';

const flowIdFor = (
  request: CustomFlowRequest,
  definition: string,
  origin: CustomFlowOrigin,
): string =>
  origin.idempotencyKey
    ? deterministicId(
        'flow',
        origin.actor.userId,
        origin.idempotencyKey,
        sha256(JSON.stringify([request.name, request.target, definition])),
      )
    : randomId('flow');

const repeated = async (flowId: string): Promise<Flow | undefined> => {
  const existing = await getFlow(flowId);
  if (existing?.deleted) {
    throw new ConflictError(
      `This request created flow ${flowId}, which was deleted since`,
    );
  }

  return existing;
};

/**
 * Checks the definition, deploys its state machine, then stores the flow.
 * Returns `created: false` when the same request with the same key was
 * already served.
 */
export const createCustomFlow = async (
  request: CustomFlowRequest,
  origin: CustomFlowOrigin,
): Promise<{ flow: Flow; created: boolean }> => {
  const definition = checkCustomDefinition(request.definition, request.target);
  const text = JSON.stringify(definition);
  const flowId = flowIdFor(request, text, origin);
  const earlier = origin.idempotencyKey ? await repeated(flowId) : undefined;
  if (earlier) return { flow: earlier, created: false };

  await putCustomMachine(flowId, definition);
  const now = new Date().toISOString();
  try {
    const flow = await createFlow({
      flowId,
      templateId: 'custom',
      name: request.name,
      settings: { target: request.target },
      definition: text,
      door: origin.door,
      createdBy: origin.actor.userId,
      createdAt: now,
      updatedAt: now,
      updatedBy: origin.actor.userId,
      owners: [],
      ownerGroups: [],
    });

    return { flow, created: true };
  } catch (error) {
    const raced = error instanceof ConflictError && (await repeated(flowId));
    if (raced) return { flow: raced, created: false };
    throw error;
  }
};

/** What a custom flow runs on, as its settings say: a case or a user. */
const customFlowTarget = (flow: Flow): FlowTarget =>
  flow.settings.target === 'user' ? 'user' : 'case';

/**
 * Puts the definition the current flow item holds back on the machine,
 * after an edit lost a race to another: the machine follows the winner.
 */
const followCurrent = async (flowId: string): Promise<void> => {
  const current = await getFlow(flowId);
  if (current?.definition && !current.deleted) {
    const target = customFlowTarget(current);
    await putCustomMachine(
      flowId,
      checkCustomDefinition(current.definition, target),
    );
  }
};

/**
 * Edits a custom flow's name and/or definition: a new flow version, and
 * the machine updated first. Runs in flight keep the definition they
 * started with (Step Functions runs an execution on the definition it
 * started on).
 */
export const editCustomFlow = async (
  before: Flow,
  changes: { readonly name?: string; readonly definition?: unknown },
  actor: Actor,
): Promise<Flow> => {
  const definition =
    changes.definition === undefined
      ? undefined
      : checkCustomDefinition(changes.definition, customFlowTarget(before));
  if (definition) await putCustomMachine(before.flowId, definition);
  const { version, revision, ...rest } = before;
  try {
    return await saveFlowVersion(before, {
      ...rest,
      name: changes.name ?? before.name,
      definition: definition ? JSON.stringify(definition) : before.definition,
      updatedAt: new Date().toISOString(),
      updatedBy: actor.userId,
    });
  } catch (error) {
    if (definition && error instanceof ConflictError) {
      await followCurrent(before.flowId);
    }
    throw error;
  }
};

/**
 * Deletes a custom flow for everyone: stops its runs in flight (recorded
 * as ABORTED), deletes its state machine, then marks the flow deleted.
 * Returns the ids of the runs it stopped.
 *
 * Runs in flight are stopped rather than left to finish because on AWS
 * DeleteStateMachine ends a machine's running executions at their next
 * state transition anyway, with nothing recorded; stopping them first
 * records why. Their run records, notes and audit events stay readable.
 */
export const deleteCustomFlow = async (
  flow: Flow,
  actor: Actor,
  now: string,
): Promise<string[]> => {
  const running = await runningCustomRuns(flow.flowId);
  for (const runId of running) {
    await stopCustomRun(flow.flowId, runId, DELETED_RUN_OUTCOME);
    await finishRun(
      runId,
      { status: 'ABORTED', outcome: DELETED_RUN_OUTCOME },
      now,
    );
  }
  await deleteCustomMachine(flow.flowId);
  await deleteFlow(flow, actor, now);

  return running;
};
