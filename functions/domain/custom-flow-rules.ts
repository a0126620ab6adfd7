import validateAsl from 'asl-validator';
import { ACTIONS } from '../catalog.js';
import { type FieldProblem, InvalidInputError } from './errors.js';
import type { FlowTarget } from './templates.js';

/*
 * What a custom flow definition may contain. A custom flow is JSONPath ASL
 * whose Task states call the product's actions by short name; everything
 * that could reach further (other functions, service integrations,
 * activities, callbacks, other accounts) or that the local emulator would
 * silently ignore (JSONata, variables) is refused with a 400 that names the
 * state. docs/custom-flows.md lists the same rules for people.
 */

/** Limits of a custom flow definition. */
export const CUSTOM_FLOW_LIMITS = {
  /** Bytes of the definition's compact JSON; the API takes 64 KB bodies. */
  maxDefinitionBytes: 32 * 1024,
  /** Objects and arrays nested in one another, the definition counted. */
  maxDepth: 32,
  /** States in all, those inside Parallel branches and Maps counted. */
  maxStates: 100,
  /** Longest Wait: 30 days. */
  maxWaitSeconds: 30 * 24 * 60 * 60,
  /** Longest fixed noteKey. */
  maxNoteKeyLength: 100,
} as const;

/** Short names a custom flow's Task states may call → catalog functions. */
export const CUSTOM_FLOW_ACTIONS: ReadonlyMap<string, string> = new Map(
  ACTIONS.flatMap((spec): [string, string][] =>
    'shortName' in spec ? [[spec.shortName, spec.name]] : [],
  ),
);

/** States the wrapper adds around a custom flow; no user state may use them. */
export const WRAPPER_STATE_NAMES = {
  run: 'IrmCustomFlow',
  success: 'IrmRecordSuccess',
  failure: 'IrmRecordFailure',
  failed: 'IrmFlowFailed',
} as const;

/** Emails a custom flow may send: both need only ids a run can reach. */
export const CUSTOM_FLOW_EMAILS = ['manager-alerts', 'policy-added'] as const;

/**
 * Fields of an action's input that the run sets, never the definition. A
 * note goes on the run's own case, so that no flow writes on another.
 */
export const RUN_SET_FIELDS: Readonly<Record<string, readonly string[]>> = {
  'irm:addCaseNote': ['caseId', 'author', 'source'],
  'irm:sendEmail': ['runId', 'flowId', 'flowVersion', 'startedBy'],
};

/** The rules, one sentence each: the same list as docs/custom-flows.md. */
export const CUSTOM_FLOW_RULES = {
  json: 'The definition is one JSON object, sent as an object or as JSON text.',
  size: 'Its compact JSON is at most 32 KB.',
  depth:
    'No part of it is nested more than 32 objects or arrays deep, the ' +
    'definition itself counted.',
  topLevel: 'The top level has only Comment, StartAt, States and Version.',
  asl: 'It is valid Amazon States Language in JSONPath (asl-validator).',
  stateCount:
    'It has at most 100 states, those inside Parallel and Map counted.',
  reservedName:
    'No state is named IrmCustomFlow, IrmRecordSuccess, IrmRecordFailure ' +
    'or IrmFlowFailed: the wrapper that records the run uses those names.',
  actions:
    'Each Task state calls one of the six actions by short name ' +
    '(irm:getAlert, irm:getCase, irm:getUser, irm:getAlertsForCase, ' +
    'irm:addCaseNote, irm:sendEmail): no Lambda ARNs, no service ' +
    'integrations (arn:aws:states:::…).',
  activities: 'No activities (arn:aws:states:…:activity:…).',
  callbacks: 'No .sync or .waitForTaskToken integration patterns.',
  jsonata:
    'No JSONata: QueryLanguage, if given, is JSONPath; no Arguments or ' +
    'Output fields.',
  variables: 'No variables: no Assign, and no $name references in paths.',
  credentials: 'No Credentials: a custom flow runs with its own role only.',
  distributedMap:
    'Map states run inline: no ItemReader, ResultWriter, ItemBatcher or ' +
    'DISTRIBUTED mode.',
  wait:
    'Wait states wait a fixed Seconds of at most 30 days (no SecondsPath, ' +
    'Timestamp or TimestampPath).',
  runIdentity:
    'irm:addCaseNote and irm:sendEmail take their input from Parameters, ' +
    "which leave caseId (the run's own case), author and source (notes) " +
    'and runId, flowId, flowVersion and startedBy (emails) to the run.',
  userFlowNotes:
    'A flow for a selected user has no case, so it has no irm:addCaseNote ' +
    'state.',
  noteKey:
    'A fixed noteKey has at most 100 letters, digits, spaces and . _ : # / -.',
  emailTemplate:
    'irm:sendEmail names a fixed template: manager-alerts or policy-added.',
} as const;

export type CustomFlowRule = keyof typeof CUSTOM_FLOW_RULES;

/** A JSON object as the definition holds it. */
export type JsonObject = Record<string, unknown>;

/** A checked definition: the user's ASL, in short action names. */
export interface CustomDefinition {
  readonly StartAt: string;
  readonly States: Record<string, JsonObject>;
  readonly Comment?: string;
}

/** A rule broken at one place of the definition. */
export interface RuleBreach extends FieldProblem {
  readonly rule: CustomFlowRule;
}

/** A state of the definition and where it sits, as a `fields` path. */
export interface PlacedState {
  readonly name: string;
  readonly state: JsonObject;
  readonly field: string;
}

export const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const nestedStates = (
  state: JsonObject,
  field: string,
): { states: unknown; field: string }[] => {
  if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
    return state.Branches.map((branch: unknown, index) => ({
      states: isJsonObject(branch) ? branch.States : undefined,
      field: `${field}.Branches.${index}.States`,
    }));
  }
  if (state.Type === 'Map') {
    const key = 'ItemProcessor' in state ? 'ItemProcessor' : 'Iterator';
    const processor = state[key];

    return isJsonObject(processor)
      ? [{ states: processor.States, field: `${field}.${key}.States` }]
      : [];
  }

  return [];
};

/** Every state, those inside Parallel branches and Maps included. */
export function* placedStates(
  states: unknown,
  field = 'definition.States',
): Generator<PlacedState> {
  if (!isJsonObject(states)) return;
  for (const [name, state] of Object.entries(states)) {
    if (!isJsonObject(state)) continue;
    const at = `${field}.${name}`;
    yield { name, state, field: at };
    for (const nested of nestedStates(state, at)) {
      yield* placedStates(nested.states, nested.field);
    }
  }
}

const breach = (
  rule: CustomFlowRule,
  field: string,
  problem: string,
): RuleBreach => ({ rule, field, problem });

const refuse = (breaches: readonly RuleBreach[]): never => {
  const summary = breaches
    .slice(0, 5)
    .map((b) => `${b.field}: ${b.problem}`)
    .join('; ');
  const more = breaches.length > 5 ? ` (and ${breaches.length - 5} more)` : '';

  throw new InvalidInputError(
    `Invalid custom flow definition: ${summary}${more}`,
    breaches.map(({ field, problem }) => ({ field, problem })),
  );
};

/** A value met while walking the definition, and how it was reached. */
interface Visit {
  readonly value: unknown;
  readonly key?: string;
  readonly parent?: Visit;
  readonly depth: number;
}

const keysTo = (visit: Visit): string[] => {
  const keys: string[] = [];
  for (let at: Visit | undefined = visit; at?.key !== undefined; ) {
    keys.unshift(at.key);
    at = at.parent;
  }

  return keys;
};

/**
 * The keys leading to the first object or array nested deeper than the
 * limit; undefined when none is. It walks with its own stack rather than
 * recursion, so that no depth of input can exhaust the call stack.
 */
const tooDeep = (definition: JsonObject): string[] | undefined => {
  const pending: Visit[] = [{ value: definition, depth: 1 }];
  for (let visit = pending.pop(); visit; visit = pending.pop()) {
    if (typeof visit.value !== 'object' || visit.value === null) continue;
    if (visit.depth > CUSTOM_FLOW_LIMITS.maxDepth) return keysTo(visit);
    for (const [key, value] of Object.entries(visit.value)) {
      pending.push({ value, key, parent: visit, depth: visit.depth + 1 });
    }
  }

  return undefined;
};

/** Keys that lead from a state to the states nested in it. */
const INTO_NESTED_STATES = [
  ['Branches', /^\d+$/, 'States'],
  ['ItemProcessor', 'States'],
  ['Iterator', 'States'],
] as const;

/** How many of `keys` name a nested state's place after a state's own. */
const nestedStatePrefix = (keys: readonly string[], from: number): number => {
  for (const route of INTO_NESTED_STATES) {
    const fits = route.every((step, offset) => {
      const key = keys[from + offset];
      return typeof step === 'string' ? key === step : step.test(key ?? '');
    });
    if (fits && keys[from + route.length] !== undefined) {
      return route.length + 1;
    }
  }

  return 0;
};

/** Splits keys into the innermost state they pass through and the rest. */
const splitAtState = (
  keys: readonly string[],
): { state: string; inside: string[] } => {
  if (keys[0] !== 'States' || keys[1] === undefined) {
    return { state: 'definition', inside: [...keys] };
  }
  let end = 2;
  for (let step = nestedStatePrefix(keys, end); step > 0; ) {
    end += step;
    step = nestedStatePrefix(keys, end);
  }

  return {
    state: ['definition', ...keys.slice(0, end)].join('.'),
    inside: keys.slice(end),
  };
};

const depthBreach = (definition: JsonObject): RuleBreach | undefined => {
  const keys = tooDeep(definition);
  if (keys === undefined) return undefined;
  const { state, inside } = splitAtState(keys);
  const where = inside[0] === undefined ? '' : ` in ${inside[0]}`;

  return breach(
    'depth',
    state,
    `nests objects or arrays more than ${CUSTOM_FLOW_LIMITS.maxDepth} ` +
      `deep${where}; flatten it`,
  );
};

/** Reads the definition from an object or from JSON text. */
const parseDefinition = (input: unknown): JsonObject => {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      refuse([breach('json', 'definition', 'is not valid JSON text')]);
    }
  }
  if (!isJsonObject(value)) {
    refuse([breach('json', 'definition', 'must be a JSON object (ASL)')]);
  }

  return value as JsonObject;
};

const TOP_LEVEL_FIELDS = new Set(['Comment', 'StartAt', 'States', 'Version']);

const topLevelBreaches = (definition: JsonObject): RuleBreach[] =>
  Object.keys(definition).flatMap((key) => {
    if (key === 'QueryLanguage' && definition[key] !== 'JSONPath') {
      return [
        breach('jsonata', 'definition.QueryLanguage', 'must be JSONPath'),
      ];
    }
    if (TOP_LEVEL_FIELDS.has(key) || key === 'QueryLanguage') return [];

    return [
      breach(
        'topLevel',
        `definition.${key}`,
        'is not allowed at the top level: use Comment, StartAt, States',
      ),
    ];
  });

/** `$name` is a variable; `$`, `$.x`, `$$.x` and `$[0]` are paths. */
const VARIABLE_REFERENCE = /(?:^|[\s,(])\$[A-Za-z_]/;

const PATH_FIELDS = [
  'InputPath',
  'OutputPath',
  'ResultPath',
  'ItemsPath',
  'Variable',
] as const;

/** Path expressions of a payload template (`"key.$": "<path>"`). */
const templatePaths = (template: unknown): string[] => {
  if (Array.isArray(template)) return template.flatMap(templatePaths);
  if (!isJsonObject(template)) return [];

  return Object.entries(template).flatMap(([key, value]) =>
    key.endsWith('.$') && typeof value === 'string'
      ? [value]
      : templatePaths(value),
  );
};

/** Every path of a state: its path fields, templates and Choice rules. */
const pathsOf = (state: JsonObject): string[] => {
  const fields = PATH_FIELDS.flatMap((key) =>
    typeof state[key] === 'string' ? [state[key] as string] : [],
  );
  const templates = [
    state.Parameters,
    state.ResultSelector,
    state.ItemSelector,
  ].flatMap(templatePaths);
  const rules = Array.isArray(state.Choices)
    ? state.Choices.flatMap(choicePaths)
    : [];

  return [...fields, ...templates, ...rules];
};

const choicePaths = (rule: unknown): string[] => {
  if (!isJsonObject(rule)) return [];
  const own = Object.entries(rule).flatMap(([key, value]) =>
    (key === 'Variable' || key.endsWith('Path')) && typeof value === 'string'
      ? [value]
      : [],
  );
  const nested = [
    ...(Array.isArray(rule.And) ? rule.And : []),
    ...(Array.isArray(rule.Or) ? rule.Or : []),
    ...(rule.Not === undefined ? [] : [rule.Not]),
  ];

  return [...own, ...nested.flatMap(choicePaths)];
};

const assigns = (state: JsonObject): boolean =>
  'Assign' in state ||
  [state.Catch, state.Choices].some(
    (list) =>
      Array.isArray(list) &&
      list.some((entry) => isJsonObject(entry) && 'Assign' in entry),
  );

const languageBreaches = (placed: PlacedState): RuleBreach[] => {
  const { state, field } = placed;
  const found: RuleBreach[] = [];
  if ('QueryLanguage' in state && state.QueryLanguage !== 'JSONPath') {
    found.push(breach('jsonata', field, 'uses JSONata; write it in JSONPath'));
  }
  for (const key of ['Arguments', 'Output']) {
    if (key in state) {
      found.push(breach('jsonata', field, `has the JSONata field ${key}`));
    }
  }
  if (assigns(state)) {
    found.push(breach('variables', field, 'assigns variables (Assign)'));
  }
  const variable = pathsOf(state).find((path) => VARIABLE_REFERENCE.test(path));
  if (variable !== undefined) {
    found.push(
      breach('variables', field, `refers to a variable in ${variable}`),
    );
  }

  return found;
};

const CALLBACK_SUFFIX = /\.(sync(:\d+)?|waitForTaskToken)$/;
const ACTIVITY_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:activity:/;
const SERVICE_INTEGRATION = /^arn:[^:]+:states:::/;
const SHORT_NAMES = [...CUSTOM_FLOW_ACTIONS.keys()].join(', ');

const resourceBreach = (placed: PlacedState): RuleBreach | undefined => {
  const resource = placed.state.Resource;
  if (typeof resource === 'string' && CUSTOM_FLOW_ACTIONS.has(resource)) {
    return undefined;
  }
  const text = typeof resource === 'string' ? resource : 'no Resource';
  if (CALLBACK_SUFFIX.test(text)) {
    return breach('callbacks', placed.field, `waits for a callback (${text})`);
  }
  if (ACTIVITY_ARN.test(text)) {
    return breach('activities', placed.field, `runs an activity (${text})`);
  }
  const kind = SERVICE_INTEGRATION.test(text)
    ? 'a service integration'
    : text.startsWith('arn:')
      ? 'a resource outside the product'
      : 'an unknown action';

  return breach(
    'actions',
    placed.field,
    `calls ${kind} (${text}); use one of ${SHORT_NAMES}`,
  );
};

const mapBreach = (placed: PlacedState): RuleBreach | undefined => {
  const { state, field } = placed;
  if (state.Type !== 'Map') return undefined;
  const used = ['ItemReader', 'ResultWriter', 'ItemBatcher'].find(
    (key) => key in state,
  );
  const processor = isJsonObject(state.ItemProcessor)
    ? state.ItemProcessor
    : {};
  const config = isJsonObject(processor.ProcessorConfig)
    ? processor.ProcessorConfig
    : {};
  if (used === undefined && config.Mode !== 'DISTRIBUTED') return undefined;

  return breach(
    'distributedMap',
    field,
    `is a distributed Map (${used ?? 'DISTRIBUTED mode'}); use an inline Map`,
  );
};

const waitBreach = (placed: PlacedState): RuleBreach | undefined => {
  const { state, field } = placed;
  if (state.Type !== 'Wait') return undefined;
  const dynamic = ['SecondsPath', 'Timestamp', 'TimestampPath'].find(
    (key) => key in state,
  );
  if (dynamic !== undefined) {
    return breach('wait', field, `uses ${dynamic}; give a fixed Seconds`);
  }
  const seconds = state.Seconds;
  if (
    typeof seconds === 'number' &&
    seconds > CUSTOM_FLOW_LIMITS.maxWaitSeconds
  ) {
    return breach(
      'wait',
      field,
      `waits ${seconds} seconds; at most ${CUSTOM_FLOW_LIMITS.maxWaitSeconds}`,
    );
  }

  return undefined;
};

const NOTE_KEY = /^[A-Za-z0-9 ._:#/-]+$/;

const noteKeyBreach = (
  parameters: JsonObject,
  field: string,
): RuleBreach | undefined => {
  const key = parameters.noteKey;
  if (key === undefined) return undefined;
  const fits =
    typeof key === 'string' &&
    key.length <= CUSTOM_FLOW_LIMITS.maxNoteKeyLength &&
    NOTE_KEY.test(key);

  return fits
    ? undefined
    : breach(
        'noteKey',
        `${field}.Parameters.noteKey`,
        CUSTOM_FLOW_RULES.noteKey,
      );
};

const emailBreach = (
  parameters: JsonObject,
  field: string,
): RuleBreach | undefined => {
  const template = parameters.template;
  if (
    typeof template === 'string' &&
    (CUSTOM_FLOW_EMAILS as readonly string[]).includes(template)
  ) {
    return undefined;
  }

  return breach(
    'emailTemplate',
    `${field}.Parameters.template`,
    `must be one of ${CUSTOM_FLOW_EMAILS.join(', ')}, given as a fixed value`,
  );
};

/** Rules on the Parameters of the actions that write notes and send email. */
const parameterBreaches = (placed: PlacedState): RuleBreach[] => {
  const { state, field } = placed;
  const resource = String(state.Resource);
  const runSet = RUN_SET_FIELDS[resource];
  if (runSet === undefined) return [];
  const parameters = state.Parameters;
  if (!isJsonObject(parameters)) {
    return [breach('runIdentity', field, 'needs Parameters (an object)')];
  }
  const given = runSet.filter(
    (key) => key in parameters || `${key}.$` in parameters,
  );
  const found: (RuleBreach | undefined)[] = given.map((key) =>
    breach(
      'runIdentity',
      `${field}.Parameters.${key}`,
      'is set by the run; remove it',
    ),
  );
  if (resource === 'irm:addCaseNote') {
    found.push(noteKeyBreach(parameters, field));
  } else {
    found.push(emailBreach(parameters, field));
  }

  return found.filter((b): b is RuleBreach => b !== undefined);
};

const userFlowNoteBreach = (
  placed: PlacedState,
  target: FlowTarget,
): RuleBreach | undefined =>
  target === 'user' &&
  placed.state.Type === 'Task' &&
  placed.state.Resource === 'irm:addCaseNote'
    ? breach(
        'userFlowNotes',
        placed.field,
        'adds a case note, but a flow for a selected user has no case',
      )
    : undefined;

const taskBreaches = (placed: PlacedState): RuleBreach[] => {
  if (placed.state.Type !== 'Task') return [];
  const resource = resourceBreach(placed);
  const credentials =
    'Credentials' in placed.state
      ? breach('credentials', placed.field, 'assumes a role (Credentials)')
      : undefined;
  const found = [resource, credentials].filter(
    (b): b is RuleBreach => b !== undefined,
  );

  return resource ? found : [...found, ...parameterBreaches(placed)];
};

const reservedBreach = (placed: PlacedState): RuleBreach | undefined =>
  (Object.values(WRAPPER_STATE_NAMES) as string[]).includes(placed.name)
    ? breach('reservedName', placed.field, 'uses a name the wrapper reserves')
    : undefined;

const stateBreaches = (placed: PlacedState, target: FlowTarget): RuleBreach[] =>
  [
    reservedBreach(placed),
    ...languageBreaches(placed),
    ...taskBreaches(placed),
    userFlowNoteBreach(placed, target),
    mapBreach(placed),
    waitBreach(placed),
  ].filter((b): b is RuleBreach => b !== undefined);

const productBreaches = (
  definition: JsonObject,
  target: FlowTarget,
): RuleBreach[] => {
  const found = topLevelBreaches(definition);
  let count = 0;
  for (const placed of placedStates(definition.States)) {
    count += 1;
    if (count === CUSTOM_FLOW_LIMITS.maxStates + 1) {
      found.push(
        breach(
          'stateCount',
          placed.field,
          `is state ${count}; a custom flow has at most ` +
            `${CUSTOM_FLOW_LIMITS.maxStates} states, nested ones counted`,
        ),
      );
    }
    found.push(...stateBreaches(placed, target));
  }

  return found;
};

/** A copy whose short names are placeholders asl-validator accepts. */
const withPlaceholders = (definition: JsonObject): JsonObject => {
  const copy = structuredClone(definition);
  for (const { state } of placedStates(copy.States)) {
    const resource = state.Resource;
    if (state.Type === 'Task' && typeof resource === 'string') {
      state.Resource = `\${${CUSTOM_FLOW_ACTIONS.get(resource) ?? resource}}`;
    }
  }

  return copy;
};

const targetsOf = (state: JsonObject): unknown[] => [
  state.Next,
  state.Default,
  ...(Array.isArray(state.Choices)
    ? state.Choices.map((rule) => (isJsonObject(rule) ? rule.Next : undefined))
    : []),
];

/** The state (or StartAt) that names a target which does not exist. */
const referrerOf = (definition: JsonObject, target: string): string => {
  if (definition.StartAt === target) return 'definition.StartAt';
  for (const placed of placedStates(definition.States)) {
    if (targetsOf(placed.state).includes(target)) return placed.field;
  }

  return 'definition';
};

const STATE_IN_MESSAGE = [/^State (.+) is not reachable$/, /exists: (.+)$/];
const TARGET_IN_MESSAGE = /target: (.+)$/;

/** Where an asl-validator error points, as a `fields` path. */
const aslField = (
  error: validateAsl.AslValidationError,
  definition: JsonObject,
): string => {
  const pointer = error.schemaError?.instancePath;
  if (pointer !== undefined) {
    return ['definition', ...pointer.split('/').filter(Boolean)].join('.');
  }
  const target = TARGET_IN_MESSAGE.exec(error.Message)?.[1];
  if (target !== undefined) return referrerOf(definition, target);
  for (const pattern of STATE_IN_MESSAGE) {
    const name = pattern.exec(error.Message)?.[1];
    const placed = [...placedStates(definition.States)].find(
      (p) => p.name === name,
    );
    if (placed) return placed.field;
  }

  return 'definition';
};

const aslBreaches = (definition: JsonObject): RuleBreach[] => {
  const result = validateAsl(withPlaceholders(definition), {
    checkPaths: true,
    checkArn: true,
  });

  return result.errors.map((error) =>
    breach('asl', aslField(error, definition), error.Message),
  );
};

/**
 * Checks a custom flow definition (an ASL object or its JSON text) for a
 * flow on a case (the default) or on a user against every rule of
 * CUSTOM_FLOW_RULES. Throws InvalidInputError (400) with one `fields` entry
 * per breach, naming the state; returns the definition.
 */
export const checkCustomDefinition = (
  input: unknown,
  target: FlowTarget = 'case',
): CustomDefinition => {
  const definition = parseDefinition(input);
  // Before any recursive walk (JSON.stringify, the rules, asl-validator).
  const deep = depthBreach(definition);
  if (deep) refuse([deep]);
  const bytes = Buffer.byteLength(JSON.stringify(definition));
  if (bytes > CUSTOM_FLOW_LIMITS.maxDefinitionBytes) {
    refuse([
      breach(
        'size',
        'definition',
        `is ${bytes} bytes of JSON; at most ` +
          `${CUSTOM_FLOW_LIMITS.maxDefinitionBytes}`,
      ),
    ]);
  }
  const ours = productBreaches(definition, target);
  if (ours.length > 0) refuse(ours);
  const asl = aslBreaches(definition);
  if (asl.length > 0) refuse(asl);

  return definition as unknown as CustomDefinition;
};
