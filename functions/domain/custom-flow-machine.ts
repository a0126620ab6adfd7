import { createHash } from 'node:crypto';
import {
  CreateStateMachineCommand,
  DeleteStateMachineCommand,
  InvalidDefinition,
  ListExecutionsCommand,
  StateMachineAlreadyExists,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  UpdateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { stateMachineName } from '../catalog.js';
import { sfn } from './clients.js';
import { requiredSetting } from './config.js';
import {
  CUSTOM_FLOW_ACTIONS,
  type CustomDefinition,
  isJsonObject,
  type JsonObject,
  placedStates,
  WRAPPER_STATE_NAMES,
} from './custom-flow-rules.js';
import { InvalidInputError, TransientError } from './errors.js';
import { executionArnFor, templateMachineArn } from './executions.js';

/*
 * A custom flow runs as its own Standard state machine,
 * `irm-<stage>-custom-<flowId>`. The user's definition becomes the one
 * branch of a Parallel state, so that however it ends the run is recorded
 * like a template run: RecordSuccess, or RecordFailure with the error. The
 * recorder is an internal function no definition can name.
 *
 * Settings: STAGE, STATE_MACHINE_ARN_PREFIX, FUNCTION_ARN_PREFIX (function
 * ARNs are `<prefix><catalog name>`), CUSTOM_FLOW_ROLE_ARN (the role the
 * machines run with).
 */

/** The retrier every template's Task states carry, for errors that pass. */
export const TRANSIENT_RETRY = {
  ErrorEquals: [
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'TransientError',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 5,
  BackoffRate: 2,
  MaxDelaySeconds: 30,
  JitterStrategy: 'FULL',
} as const;

/** The outcome a custom run records when its definition reached its end. */
export const CUSTOM_FLOW_OUTCOME = 'The custom flow ran to its end.';

const RUN = '$$.Execution.Input';

/** A key unique to a state within a run, safe inside an intrinsic string. */
const stateKey = (name: string): string =>
  `state-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;

/**
 * Notes are keyed per case, so the run id prefixes every key: a later run
 * adds its own note. Without a key, the state's name gives one; a state
 * that adds several notes in one run (a loop, a Map) gives its own key.
 */
const noteKeyOf = (parameters: JsonObject, name: string): string => {
  const path = parameters['noteKey.$'];
  if (typeof path === 'string') {
    return `States.Format('{}#{}', ${RUN}.runId, ${path})`;
  }
  const fixed =
    typeof parameters.noteKey === 'string'
      ? parameters.noteKey
      : stateKey(name);

  return `States.Format('{}#${fixed}', ${RUN}.runId)`;
};

/**
 * A note always goes on the run's own case: a `caseId` the definition gives
 * (refused by the rules, dropped here too) never reaches the action.
 */
const noteParameters = (parameters: JsonObject, name: string): JsonObject => {
  const {
    noteKey,
    'noteKey.$': notePath,
    caseId,
    'caseId.$': casePath,
    ...rest
  } = parameters;

  return {
    ...rest,
    'caseId.$': `${RUN}.caseId`,
    'noteKey.$': noteKeyOf(parameters, name),
    author: {
      'userId.$': `${RUN}.startedBy`,
      'flowId.$': `${RUN}.flowId`,
      'runId.$': `${RUN}.runId`,
    },
    source: 'flow',
  };
};

const emailParameters = (parameters: JsonObject, name: string): JsonObject => {
  const keyed = 'messageKey' in parameters || 'messageKey.$' in parameters;

  return {
    ...parameters,
    ...(keyed ? {} : { messageKey: stateKey(name) }),
    'runId.$': `${RUN}.runId`,
    'flowId.$': `${RUN}.flowId`,
    'flowVersion.$': `${RUN}.flowVersion`,
    'startedBy.$': `${RUN}.startedBy`,
  };
};

/**
 * Turns a user's Task into a deployable one: the function's ARN, the
 * transient retrier first, and the run's identity in the Parameters of the
 * actions that write notes and send email, taken from the execution input
 * so that no definition can speak for another person, run or flow, or
 * write a note on another case.
 */
const deployTask = (
  state: JsonObject,
  name: string,
  functionArnPrefix: string,
): void => {
  const shortName = String(state.Resource);
  state.Resource = `${functionArnPrefix}${CUSTOM_FLOW_ACTIONS.get(shortName)}`;
  state.Retry = [
    TRANSIENT_RETRY,
    ...(Array.isArray(state.Retry) ? state.Retry : []),
  ];
  const parameters = isJsonObject(state.Parameters) ? state.Parameters : {};
  if (shortName === 'irm:addCaseNote') {
    state.Parameters = noteParameters(parameters, name);
  } else if (shortName === 'irm:sendEmail') {
    state.Parameters = emailParameters(parameters, name);
  }
};

const recordOutcome = (
  functionArnPrefix: string,
  parameters: JsonObject,
  transition: JsonObject,
): JsonObject => ({
  Type: 'Task',
  Resource: `${functionArnPrefix}record-run-outcome`,
  Parameters: parameters,
  ResultPath: null,
  Retry: [TRANSIENT_RETRY],
  ...transition,
});

/**
 * The state machine a checked custom definition deploys as. The Parallel
 * branch gets the run input (`runId, flowId, flowVersion, startedBy` and
 * `caseId` or `userId, policyId`); its output is dropped, so the recorders
 * read the run id from the same input.
 */
export const wrapDefinition = (
  definition: CustomDefinition,
  functionArnPrefix: string,
): string => {
  const branch = structuredClone({
    StartAt: definition.StartAt,
    States: definition.States,
  });
  for (const { name, state } of placedStates(branch.States)) {
    if (state.Type === 'Task') deployTask(state, name, functionArnPrefix);
  }
  const { run, success, failure, failed } = WRAPPER_STATE_NAMES;

  return JSON.stringify({
    Comment:
      'A custom flow: its definition is the branch; the run is recorded.',
    StartAt: run,
    States: {
      [run]: {
        Type: 'Parallel',
        Branches: [branch],
        ResultPath: null,
        Catch: [
          { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: failure },
        ],
        Next: success,
      },
      [success]: recordOutcome(
        functionArnPrefix,
        {
          'runId.$': '$.runId',
          status: 'SUCCEEDED',
          outcome: CUSTOM_FLOW_OUTCOME,
        },
        { End: true },
      ),
      [failure]: recordOutcome(
        functionArnPrefix,
        { 'runId.$': '$.runId', status: 'FAILED', 'error.$': '$.error' },
        { Next: failed },
      ),
      [failed]: {
        Type: 'Fail',
        Error: 'FlowFailed',
        Cause: "The run's error says why; read it with GET /runs/{runId}.",
      },
    },
  });
};

/** ARN of a custom flow's state machine; the same as its runs start. */
export const customMachineArn = (flowId: string): string =>
  templateMachineArn(`custom-${flowId}`);

const unavailable = (error: unknown): TransientError =>
  new TransientError(
    'Step Functions did not take the change; send the same request again',
    { cause: error },
  );

const refusedDefinition = (error: InvalidDefinition): InvalidInputError =>
  new InvalidInputError(
    `Step Functions refused the definition: ${error.message}`,
    [{ field: 'definition', problem: error.message }],
  );

/**
 * Creates the flow's state machine, or updates it when it exists: the name
 * is the flow id's, so calling this again after a crash converges.
 */
export const putCustomMachine = async (
  flowId: string,
  definition: CustomDefinition,
): Promise<string> => {
  const stateMachineArn = customMachineArn(flowId);
  const body = wrapDefinition(
    definition,
    requiredSetting('FUNCTION_ARN_PREFIX'),
  );
  const roleArn = requiredSetting('CUSTOM_FLOW_ROLE_ARN');
  try {
    await createOrUpdate(flowId, stateMachineArn, body, roleArn);
  } catch (error) {
    if (error instanceof InvalidDefinition) throw refusedDefinition(error);
    throw unavailable(error);
  }

  return stateMachineArn;
};

const createOrUpdate = async (
  flowId: string,
  stateMachineArn: string,
  definition: string,
  roleArn: string,
): Promise<void> => {
  try {
    await sfn.send(
      new CreateStateMachineCommand({
        name: stateMachineName(requiredSetting('STAGE'), `custom-${flowId}`),
        definition,
        roleArn,
        type: 'STANDARD',
      }),
    );
  } catch (error) {
    if (!(error instanceof StateMachineAlreadyExists)) throw error;
    await sfn.send(
      new UpdateStateMachineCommand({ stateMachineArn, definition, roleArn }),
    );
  }
};

/** Names of the executions of the flow's machine that are still running. */
export const runningCustomRuns = async (flowId: string): Promise<string[]> => {
  const names: string[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await sfn.send(
        new ListExecutionsCommand({
          stateMachineArn: customMachineArn(flowId),
          statusFilter: 'RUNNING',
          nextToken,
        }),
      );
      names.push(...(page.executions ?? []).map((e) => e.name ?? ''));
      nextToken = page.nextToken;
    } while (nextToken);
  } catch (error) {
    if (error instanceof StateMachineDoesNotExist) return [];
    throw unavailable(error);
  }

  return names.filter(Boolean);
};

/** Stops one run of a custom flow, saying why. */
export const stopCustomRun = async (
  flowId: string,
  runId: string,
  cause: string,
): Promise<void> => {
  const executionArn = executionArnFor(customMachineArn(flowId), runId);
  try {
    await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'FlowDeleted', cause }),
    );
  } catch (error) {
    throw unavailable(error);
  }
};

/** Deletes the flow's state machine; deleting it again is not an error. */
export const deleteCustomMachine = async (flowId: string): Promise<void> => {
  try {
    await sfn.send(
      new DeleteStateMachineCommand({
        stateMachineArn: customMachineArn(flowId),
      }),
    );
  } catch (error) {
    if (error instanceof StateMachineDoesNotExist) return;
    throw unavailable(error);
  }
};
