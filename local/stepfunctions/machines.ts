import { randomUUID } from 'node:crypto';
import type { StateMachineType } from '@aws-sdk/client-sfn';
import type { CompiledDefinition, DefinitionCache } from './definitions.js';
import { assertValidName, SfnApiError, SfnErrorCode } from './protocol.js';
import { type JsonStore, StoreFolder } from './store.js';

/** A state machine as DescribeStateMachine reports it; times in epoch milliseconds. */
export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: StateMachineType;
  creationDate: number;
  updateDate?: number;
  revisionId: string;
}

/** The members of CreateStateMachine this endpoint uses. */
export interface NewStateMachine {
  name: string;
  definition: string;
  roleArn: string;
  type: StateMachineType;
}

/** The members of UpdateStateMachine this endpoint uses. */
export interface StateMachineChanges {
  definition?: string;
  roleArn?: string;
}

const MACHINE_TYPES: readonly string[] = ['STANDARD', 'EXPRESS'];

/** Reads the state machine type of a request, STANDARD when absent. */
export function machineTypeOf(type: string | undefined): StateMachineType {
  if (type === undefined) return 'STANDARD';
  if (!MACHINE_TYPES.includes(type)) {
    throw new SfnApiError(
      SfnErrorCode.ValidationException,
      `1 validation error detected: Value '${type}' at 'type' failed to satisfy constraint: ` +
        'Member must satisfy enum value set: [STANDARD, EXPRESS]',
    );
  }

  return type as StateMachineType;
}

/** Checks that a saved document has the members of a state machine record. */
export function isStateMachineRecord(
  document: unknown,
): document is StateMachineRecord {
  const record = document as Partial<StateMachineRecord> | null;

  return (
    typeof record?.stateMachineArn === 'string' &&
    typeof record.name === 'string' &&
    typeof record.definition === 'string' &&
    typeof record.creationDate === 'number'
  );
}

/** The state machines of one account and region, kept in memory and optionally on disk. */
export class MachineRegistry {
  private readonly byArn = new Map<string, StateMachineRecord>();

  constructor(
    private readonly arnPrefix: string,
    private readonly definitions: DefinitionCache,
    private readonly store?: JsonStore,
  ) {}

  /** Adds state machines read back from disk. */
  load(records: readonly StateMachineRecord[]): void {
    for (const record of records)
      this.byArn.set(record.stateMachineArn, record);
  }

  /**
   * Creates a state machine. Creating it again with the same name, definition and type
   * returns the existing one, as AWS does; anything else is StateMachineAlreadyExists.
   */
  create(request: NewStateMachine): StateMachineRecord {
    assertValidName(request.name);
    const stateMachineArn = `${this.arnPrefix}:stateMachine:${request.name}`;
    const existing = this.byArn.get(stateMachineArn);
    if (existing) return this.sameOrConflict(existing, request);
    this.definitions.compile(request.definition);
    const record: StateMachineRecord = {
      ...request,
      stateMachineArn,
      creationDate: Date.now(),
      revisionId: randomUUID(),
    };
    this.byArn.set(stateMachineArn, record);
    this.save(record);

    return record;
  }

  /** Changes the definition or role; running executions keep the definition they started with. */
  update(
    stateMachineArn: string,
    changes: StateMachineChanges,
  ): StateMachineRecord {
    const record = this.get(stateMachineArn);
    if (changes.definition !== undefined)
      this.definitions.compile(changes.definition);
    const updated: StateMachineRecord = {
      ...record,
      definition: changes.definition ?? record.definition,
      roleArn: changes.roleArn ?? record.roleArn,
      updateDate: Date.now(),
      revisionId: randomUUID(),
    };
    this.byArn.set(stateMachineArn, updated);
    this.save(updated);

    return updated;
  }

  /** Deletes a state machine; its executions stay readable. Unknown ARNs are not an error. */
  delete(stateMachineArn: string): void {
    const record = this.byArn.get(stateMachineArn);
    if (!record) return;
    this.byArn.delete(stateMachineArn);
    this.store?.remove(StoreFolder.stateMachines, record.name);
  }

  /** Returns a state machine or throws StateMachineDoesNotExist. */
  get(stateMachineArn: string): StateMachineRecord {
    const record = this.byArn.get(stateMachineArn);
    if (!record) {
      throw new SfnApiError(
        SfnErrorCode.StateMachineDoesNotExist,
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    }

    return record;
  }

  /** All state machines, oldest first. */
  list(): StateMachineRecord[] {
    return [...this.byArn.values()].sort(
      (a, b) => a.creationDate - b.creationDate,
    );
  }

  /** The built definition of a state machine, shared by all its executions. */
  compiled(record: StateMachineRecord): CompiledDefinition {
    return this.definitions.compile(record.definition);
  }

  private sameOrConflict(
    existing: StateMachineRecord,
    request: NewStateMachine,
  ) {
    if (
      existing.definition === request.definition &&
      existing.type === request.type
    ) {
      return existing;
    }

    throw new SfnApiError(
      SfnErrorCode.StateMachineAlreadyExists,
      `State Machine Already Exists: '${existing.stateMachineArn}'`,
    );
  }

  private save(record: StateMachineRecord): void {
    this.store?.save(StoreFolder.stateMachines, record.name, record);
  }
}
