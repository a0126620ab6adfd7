import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import validateAsl from 'asl-validator';
import { CUSTOM_FLOW_FUNCTIONS } from '../../functions/catalog.js';
import {
  TRANSIENT_RETRY,
  wrapDefinition,
} from '../../functions/domain/custom-flow-machine.js';
import {
  type CustomDefinition,
  checkCustomDefinition,
  type JsonObject,
} from '../../functions/domain/custom-flow-rules.js';

const PREFIX = 'arn:aws:lambda:eu-west-1:111122223333:function:irm-test-';

const readJson = (...path: string[]): JsonObject =>
  JSON.parse(readFileSync(join(process.cwd(), ...path), 'utf8')) as JsonObject;

const example = (name: string): CustomDefinition =>
  checkCustomDefinition(readJson('docs', 'examples', `${name}.asl.json`));

interface Machine {
  StartAt: string;
  States: Record<string, JsonObject>;
}

const wrapped = (name: string): Machine =>
  JSON.parse(wrapDefinition(example(name), PREFIX)) as Machine;

const branchOf = (machine: Machine): Record<string, JsonObject> => {
  const run = machine.States.IrmCustomFlow as { Branches: Machine[] };

  return run.Branches[0]?.States ?? {};
};

describe('the custom flow wrapper', () => {
  it('retries the same transient errors as the templates', () => {
    const template = readJson('statemachines', 'notify-manager.asl.json');
    const getCase = (template.States as Record<string, JsonObject>).GetCase;

    expect((getCase?.Retry as unknown[] | undefined)?.[0]).toEqual(
      TRANSIENT_RETRY,
    );
  });

  it('makes the definition the one branch of a Parallel that records the run', () => {
    const machine = wrapped('manager-digest');
    const run = machine.States.IrmCustomFlow;

    expect(machine.StartAt).toBe('IrmCustomFlow');
    expect(run?.Type).toBe('Parallel');
    expect(Object.keys(branchOf(machine))).toEqual(
      Object.keys(example('manager-digest').States),
    );
    expect(run?.Catch).toEqual([
      {
        ErrorEquals: ['States.ALL'],
        ResultPath: '$.error',
        Next: 'IrmRecordFailure',
      },
    ]);
    expect(run?.Next).toBe('IrmRecordSuccess');
    expect(machine.States.IrmRecordFailure?.Resource).toBe(
      `${PREFIX}record-run-outcome`,
    );
    expect(validateAsl(machine).errors).toEqual([]);
  });

  it('calls each action by its function ARN, transient retrier first', () => {
    const user = { ErrorEquals: ['NotFoundError'], MaxAttempts: 1 };
    const definition = example('manager-digest');
    const states = definition.States as Record<string, JsonObject>;
    states.GetCase = { ...states.GetCase, Retry: [user] };

    const branch = branchOf(
      JSON.parse(wrapDefinition(definition, PREFIX)) as Machine,
    );

    expect(branch.GetCase?.Resource).toBe(`${PREFIX}get-case`);
    expect(branch.GetCase?.Retry).toEqual([TRANSIENT_RETRY, user]);
    expect(branch.EmailDigest?.Resource).toBe(`${PREFIX}send-email`);
  });

  it('invokes only the functions the custom-flow role may invoke', () => {
    const text = wrapDefinition(example('manager-digest'), PREFIX);
    const resources = [...text.matchAll(/"Resource":"([^"]+)"/g)].map((match) =>
      match[1]?.slice(PREFIX.length),
    );

    expect(resources.length).toBeGreaterThan(0);
    for (const name of resources) {
      expect(CUSTOM_FLOW_FUNCTIONS).toContain(name);
    }
  });

  it('takes the note author and the email run ids from the execution input', () => {
    const branch = branchOf(wrapped('manager-digest'));

    expect(branch.NoteDigestSent?.Parameters).toMatchObject({
      author: {
        'userId.$': '$$.Execution.Input.startedBy',
        'flowId.$': '$$.Execution.Input.flowId',
        'runId.$': '$$.Execution.Input.runId',
      },
      source: 'flow',
    });
    expect(branch.EmailDigest?.Parameters).toMatchObject({
      'runId.$': '$$.Execution.Input.runId',
      'flowId.$': '$$.Execution.Input.flowId',
      'flowVersion.$': '$$.Execution.Input.flowVersion',
      'startedBy.$': '$$.Execution.Input.startedBy',
      messageKey: expect.stringMatching(/^state-[0-9a-f]{12}$/),
    });
  });

  it("writes every note on the run's own case", () => {
    const definition = example('high-alerts-note');
    const states = definition.States as Record<string, JsonObject>;
    states.NoteHighAlerts = {
      ...states.NoteHighAlerts,
      Parameters: { caseId: 'case-OTHER', text: 'injected', noteKey: 'k' },
    };

    const branch = branchOf(
      JSON.parse(wrapDefinition(definition, PREFIX)) as Machine,
    );

    expect(branch.NoteHighAlerts?.Parameters).toMatchObject({
      'caseId.$': '$$.Execution.Input.caseId',
    });
    expect(branch.NoteHighAlerts?.Parameters).not.toHaveProperty('caseId');
    expect(branch.NoteNoHighAlerts?.Parameters).toMatchObject({
      'caseId.$': '$$.Execution.Input.caseId',
    });
  });

  it('prefixes every note key with the run id', () => {
    const branch = branchOf(wrapped('high-alerts-note'));

    expect(branch.NoteHighAlerts?.Parameters).toMatchObject({
      'noteKey.$': "States.Format('{}#high-alerts', $$.Execution.Input.runId)",
    });
    expect(branch.NoteHighAlerts?.Parameters).not.toHaveProperty('noteKey');
  });
});
