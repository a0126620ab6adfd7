import {
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { SfnApiError, SfnErrorCode } from './protocol.js';

type States = StateMachineDefinition['States'];
type State = States[string];

/**
 * A definition built once and shared by all its executions: the library's machine (its
 * construction validates the definition, about 60 ms) and the state names that each run
 * overrides.
 */
export interface CompiledDefinition {
  machine: StateMachine;
  /** Task state name → its `Resource`, nested Map and Parallel states included. */
  tasks: ReadonlyMap<string, string>;
  waitStates: readonly string[];
  /** States with a `Retry` field. */
  retryStates: readonly string[];
}

interface StateIndex {
  tasks: Map<string, string>;
  waitStates: string[];
  retryStates: string[];
}

// The library ignores these instead of failing, and would then give wrong answers. Its
// validation copies the top-level QueryLanguage into every state.
function unsupportedFeature(name: string, state: State): string | undefined {
  if ('QueryLanguage' in state && state.QueryLanguage === 'JSONata') {
    return `state ${name} uses JSONata`;
  }
  if ('Assign' in state) return `state ${name} assigns variables`;
  if (state.Type === 'Task' && state.Resource.endsWith('.waitForTaskToken')) {
    return `state ${name} waits for a task token`;
  }

  return undefined;
}

// The library gives a Task without TimeoutSeconds 60 s; on AWS the function's own timeout
// (at most 900 s) ends it first.
const TASK_TIMEOUT_SECONDS = 900;

function setDefaultTimeout(state: State): void {
  if (state.Type !== 'Task') return;
  if (
    state.TimeoutSeconds === undefined &&
    state.TimeoutSecondsPath === undefined
  ) {
    state.TimeoutSeconds = TASK_TIMEOUT_SECONDS;
  }
}

function nestedStates(state: State): States[] {
  if (state.Type === 'Map') {
    const processor = state.ItemProcessor ?? state.Iterator;

    return processor ? [processor.States] : [];
  }
  if (state.Type === 'Parallel')
    return state.Branches.map((branch) => branch.States);

  return [];
}

function indexStates(states: States, index: StateIndex): void {
  for (const [name, state] of Object.entries(states)) {
    const unsupported = unsupportedFeature(name, state);
    if (unsupported) {
      throw new SfnApiError(
        SfnErrorCode.InvalidDefinition,
        `Not supported by the local Step Functions endpoint: ${unsupported}`,
      );
    }
    if (state.Type === 'Task') index.tasks.set(name, state.Resource);
    setDefaultTimeout(state);
    if (state.Type === 'Wait') index.waitStates.push(name);
    if ('Retry' in state && state.Retry) index.retryStates.push(name);
    for (const nested of nestedStates(state)) indexStates(nested, index);
  }
}

function parseDefinition(text: string): StateMachineDefinition {
  try {
    return JSON.parse(text) as StateMachineDefinition;
  } catch (error) {
    throw new SfnApiError(
      SfnErrorCode.InvalidDefinition,
      `Invalid State Machine Definition: ${(error as Error).message}`,
    );
  }
}

function buildMachine(definition: StateMachineDefinition): StateMachine {
  try {
    return new StateMachine(definition);
  } catch (error) {
    throw new SfnApiError(
      SfnErrorCode.InvalidDefinition,
      (error as Error).message,
    );
  }
}

/** Validates and builds a definition from its JSON text. */
export function compileDefinition(text: string): CompiledDefinition {
  const definition = parseDefinition(text);
  if (definition === null || typeof definition !== 'object') {
    throw new SfnApiError(
      SfnErrorCode.InvalidDefinition,
      'Invalid State Machine Definition: expected a JSON object',
    );
  }
  const machine = buildMachine(definition);
  const index: StateIndex = {
    tasks: new Map(),
    waitStates: [],
    retryStates: [],
  };
  indexStates(definition.States, index);

  return { machine, ...index };
}

/** Compiles each distinct definition text once and hands out the same result afterwards. */
export class DefinitionCache {
  private readonly byText = new Map<string, CompiledDefinition>();

  /** Returns the compiled definition, building it on first use; throws InvalidDefinition. */
  compile(text: string): CompiledDefinition {
    let compiled = this.byText.get(text);
    if (!compiled) {
      compiled = compileDefinition(text);
      this.byText.set(text, compiled);
    }

    return compiled;
  }
}
