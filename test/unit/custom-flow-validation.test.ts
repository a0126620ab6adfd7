import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CUSTOM_FLOW_RULES,
  type CustomFlowRule,
  checkCustomDefinition,
  type JsonObject,
} from '../../functions/domain/custom-flow-rules.js';
import { InvalidInputError } from '../../functions/domain/errors.js';
import type { FlowTarget } from '../../functions/domain/templates.js';

const EXAMPLES = join(process.cwd(), 'docs', 'examples');
const example = (name: string): string =>
  readFileSync(join(EXAMPLES, `${name}.asl.json`), 'utf8');

/** A small valid case flow: get the case, note it. */
const valid = (): JsonObject => ({
  StartAt: 'GetCase',
  States: {
    GetCase: {
      Type: 'Task',
      Resource: 'irm:getCase',
      Parameters: { 'caseId.$': '$.caseId' },
      ResultPath: '$.found',
      Next: 'Note',
    },
    Note: {
      Type: 'Task',
      Resource: 'irm:addCaseNote',
      Parameters: { text: 'Seen by a flow' },
      End: true,
    },
  },
});

const states = (definition: JsonObject): Record<string, JsonObject> =>
  definition.States as Record<string, JsonObject>;

/** The valid flow with one state changed. */
const withState = (name: string, changes: JsonObject) => (): unknown => {
  const definition = valid();
  states(definition)[name] = { ...states(definition)[name], ...changes };

  return definition;
};

const withEmail = (parameters: JsonObject) =>
  withState('Note', {
    Resource: 'irm:sendEmail',
    Parameters: { 'caseId.$': '$.caseId', ...parameters },
  });

const chainOf = (count: number): unknown => {
  const chain: Record<string, JsonObject> = {};
  for (let index = 1; index <= count; index += 1) {
    chain[`S${index}`] =
      index === count
        ? { Type: 'Pass', End: true }
        : { Type: 'Pass', Next: `S${index + 1}` };
  }

  return { StartAt: 'S1', States: chain };
};

const nested = (): unknown => ({
  StartAt: 'Both',
  States: {
    Both: {
      Type: 'Parallel',
      Branches: [
        {
          StartAt: 'Sneaky',
          States: {
            Sneaky: {
              Type: 'Task',
              Resource: 'arn:aws:lambda:us-east-1:111122223333:function:x',
              End: true,
            },
          },
        },
      ],
      End: true,
    },
  },
});

/** `{ "a": { "a": … } }`, `levels` objects deep. */
const nestedObjects = (levels: number): JsonObject => {
  let value: JsonObject = { a: 'end' };
  for (let level = 1; level < levels; level += 1) value = { a: value };

  return value;
};

type Breakage = [
  rule: CustomFlowRule,
  how: string,
  definition: () => unknown,
  field: string,
  target?: FlowTarget,
];

const BREAKAGES: Breakage[] = [
  ['json', 'JSON text that does not parse', () => '{"StartAt":', 'definition'],
  ['json', 'a JSON array', () => [valid()], 'definition'],
  [
    'size',
    'more than 32 KB of JSON',
    () => ({ ...valid(), Comment: 'x'.repeat(33 * 1024) }),
    'definition',
  ],
  [
    'depth',
    'Parameters nested 2,000 levels deep',
    withState('GetCase', { Parameters: nestedObjects(2_000) }),
    'definition.States.GetCase',
  ],
  [
    'depth',
    'a state inside a Parallel branch nested too deep',
    () => ({
      StartAt: 'Both',
      States: {
        Both: {
          Type: 'Parallel',
          End: true,
          Branches: [
            {
              StartAt: 'Inner',
              States: {
                Inner: { Type: 'Pass', End: true, Result: nestedObjects(40) },
              },
            },
          ],
        },
      },
    }),
    'definition.States.Both.Branches.0.States.Inner',
  ],
  [
    'topLevel',
    'a top-level TimeoutSeconds',
    () => ({ ...valid(), TimeoutSeconds: 60 }),
    'definition.TimeoutSeconds',
  ],
  [
    'asl',
    'a transition to a state that does not exist',
    withState('GetCase', { Next: 'Nowhere' }),
    'definition.States.GetCase',
  ],
  ['stateCount', '101 states', () => chainOf(101), 'definition.States.S101'],
  [
    'reservedName',
    'a state named IrmRecordSuccess',
    () => ({
      StartAt: 'IrmRecordSuccess',
      States: { IrmRecordSuccess: { Type: 'Succeed' } },
    }),
    'definition.States.IrmRecordSuccess',
  ],
  [
    'actions',
    'a Lambda function ARN',
    withState('GetCase', {
      Resource: 'arn:aws:lambda:us-east-1:111122223333:function:other',
    }),
    'definition.States.GetCase',
  ],
  [
    'actions',
    'a service integration',
    withState('GetCase', { Resource: 'arn:aws:states:::dynamodb:getItem' }),
    'definition.States.GetCase',
  ],
  [
    'actions',
    'the internal run recorder by a guessed short name',
    withState('GetCase', { Resource: 'irm:recordRunOutcome' }),
    'definition.States.GetCase',
  ],
  [
    'actions',
    'a Lambda ARN inside a Parallel branch',
    nested,
    'definition.States.Both.Branches.0.States.Sneaky',
  ],
  [
    'activities',
    'an activity',
    withState('GetCase', {
      Resource: 'arn:aws:states:us-east-1:111122223333:activity:review',
    }),
    'definition.States.GetCase',
  ],
  [
    'callbacks',
    'a .waitForTaskToken integration',
    withState('GetCase', {
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    }),
    'definition.States.GetCase',
  ],
  [
    'callbacks',
    'a .sync integration',
    withState('GetCase', {
      Resource: 'arn:aws:states:::states:startExecution.sync:2',
    }),
    'definition.States.GetCase',
  ],
  [
    'jsonata',
    'a state in JSONata',
    withState('GetCase', { QueryLanguage: 'JSONata' }),
    'definition.States.GetCase',
  ],
  [
    'jsonata',
    'a JSONata Arguments field',
    withState('GetCase', { Arguments: { caseId: '{% $states.input %}' } }),
    'definition.States.GetCase',
  ],
  [
    'variables',
    'an Assign',
    withState('GetCase', { Assign: { seen: true } }),
    'definition.States.GetCase',
  ],
  [
    'variables',
    'a variable reference',
    withState('GetCase', { Parameters: { 'caseId.$': '$caseId' } }),
    'definition.States.GetCase',
  ],
  [
    'credentials',
    'Credentials',
    withState('GetCase', {
      Credentials: { RoleArn: 'arn:aws:iam::111122223333:role/other' },
    }),
    'definition.States.GetCase',
  ],
  [
    'distributedMap',
    'a distributed Map',
    () => ({
      StartAt: 'Each',
      States: {
        Each: {
          Type: 'Map',
          ItemProcessor: {
            ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
            StartAt: 'One',
            States: { One: { Type: 'Pass', End: true } },
          },
          End: true,
        },
      },
    }),
    'definition.States.Each',
  ],
  [
    'wait',
    'a Wait of 31 days',
    () => ({
      StartAt: 'Later',
      States: { Later: { Type: 'Wait', Seconds: 31 * 86_400, End: true } },
    }),
    'definition.States.Later',
  ],
  [
    'wait',
    'a Wait until a timestamp from the input',
    () => ({
      StartAt: 'Later',
      States: { Later: { Type: 'Wait', TimestampPath: '$.when', End: true } },
    }),
    'definition.States.Later',
  ],
  [
    'runIdentity',
    'a note that names its author',
    withState('Note', {
      Parameters: { text: 'Written by the CEO', author: { userId: 'ceo' } },
    }),
    'definition.States.Note.Parameters.author',
  ],
  [
    'runIdentity',
    "a note on another case than the run's",
    withState('Note', {
      Parameters: { caseId: 'case-OTHER', text: 'injected', noteKey: 'k' },
    }),
    'definition.States.Note.Parameters.caseId',
  ],
  [
    'userFlowNotes',
    'a case note in a flow for a selected user',
    () => ({
      StartAt: 'Note',
      States: {
        Note: {
          Type: 'Task',
          Resource: 'irm:addCaseNote',
          Parameters: { text: 'Which case?' },
          End: true,
        },
      },
    }),
    'definition.States.Note',
    'user',
  ],
  [
    'runIdentity',
    'an email that names another run',
    withEmail({ template: 'manager-alerts', 'runId.$': '$.otherRun' }),
    'definition.States.Note.Parameters.runId',
  ],
  [
    'runIdentity',
    'a note without Parameters',
    withState('Note', { Parameters: undefined }),
    'definition.States.Note',
  ],
  [
    'noteKey',
    'a fixed noteKey with a quote',
    withState('Note', {
      Parameters: { text: 'x', noteKey: "it's" },
    }),
    'definition.States.Note.Parameters.noteKey',
  ],
  [
    'emailTemplate',
    'an email template outside the two allowed',
    withEmail({ template: 'request-info', requestId: 'req-1' }),
    'definition.States.Note.Parameters.template',
  ],
];

const refusal = (
  definition: unknown,
  target?: FlowTarget,
): InvalidInputError => {
  try {
    checkCustomDefinition(definition, target);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('The definition was accepted');
};

describe('custom flow validation', () => {
  it.each(BREAKAGES)(
    'refuses a definition that breaks %s (%s) with 400 naming the place',
    // A rest tuple: with five named parameters Jest would take the fifth
    // for a done callback on the rows that name no target.
    (...[_rule, _how, definition, field, target]: Breakage) => {
      const error = refusal(definition(), target);

      expect(error.status).toBe(400);
      expect(error.fields.map((f) => f.field)).toContain(field);
      expect(error.message).toContain(field);
    },
  );

  it('breaks every rule of the list in at least one case', () => {
    const broken = new Set(BREAKAGES.map(([rule]) => rule));

    expect([...broken].sort()).toEqual(Object.keys(CUSTOM_FLOW_RULES).sort());
  });

  it('accepts a valid definition given as an object or as JSON text', () => {
    const definition = valid();

    expect(checkCustomDefinition(definition)).toEqual(definition);
    expect(checkCustomDefinition(JSON.stringify(definition))).toEqual(
      definition,
    );
  });

  it.each(['high-alerts-note', 'manager-digest'])(
    'accepts the documented example %s',
    (name) => {
      const text = example(name);

      expect(checkCustomDefinition(text)).toEqual(JSON.parse(text));
    },
  );

  it('reports every breach of a definition, not only the first', () => {
    const definition = valid();
    states(definition).GetCase = {
      ...states(definition).GetCase,
      Resource: 'arn:aws:states:::sqs:sendMessage',
    };
    states(definition).Note = {
      ...states(definition).Note,
      Credentials: { RoleArn: 'arn:aws:iam::111122223333:role/x' },
    };

    const error = refusal(definition);

    expect(error.fields.map((f) => f.field)).toEqual([
      'definition.States.GetCase',
      'definition.States.Note',
    ]);
  });

  it('accepts Parameters nested up to the depth limit', () => {
    // definition, States, the state and Parameters are the first 4 levels.
    const definition = withState('GetCase', {
      Parameters: { 'caseId.$': '$.caseId', deep: nestedObjects(28) },
    })();

    expect(checkCustomDefinition(definition)).toEqual(definition);
  });

  it('leaves the definition it checks unchanged', () => {
    const definition = valid();
    const before = JSON.stringify(definition);

    checkCustomDefinition(definition);

    expect(JSON.stringify(definition)).toBe(before);
  });
});
