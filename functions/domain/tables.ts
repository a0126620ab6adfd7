/**
 * The data model, defined once: the CDK stack and the local stack both create
 * their tables from these specifications, and the handlers find each table's
 * name in the environment variable named here.
 */

export type KeyType = 'S' | 'N';

export interface KeySpec {
  readonly name: string;
  readonly type: KeyType;
}

export interface IndexSpec {
  readonly name: string;
  readonly partitionKey: KeySpec;
  readonly sortKey?: KeySpec;
}

export interface TableSpec {
  /** Short logical name, also the suffix of the physical table name. */
  readonly id: string;
  /** Environment variable that carries the physical table name. */
  readonly env: string;
  readonly partitionKey: KeySpec;
  readonly sortKey?: KeySpec;
  readonly globalIndexes?: readonly IndexSpec[];
  readonly localIndexes?: readonly IndexSpec[];
  /** Attribute holding the expiry time in epoch seconds. */
  readonly ttlAttribute?: string;
  /** Holds records that must survive a stack deletion (retained, protected). */
  readonly critical: boolean;
  /** Emits a change stream (event triggers read it on AWS). */
  readonly stream?: boolean;
}

const s = (name: string): KeySpec => ({ name, type: 'S' });

export const TABLES = {
  users: {
    id: 'users',
    env: 'USERS_TABLE',
    partitionKey: s('userId'),
    globalIndexes: [
      { name: 'byKind', partitionKey: s('kind'), sortKey: s('sortName') },
      // Finds the user behind an alias while pseudonymisation is on.
      { name: 'byAlias', partitionKey: s('alias') },
    ],
    critical: true,
  },
  policies: {
    id: 'policies',
    env: 'POLICIES_TABLE',
    partitionKey: s('policyId'),
    globalIndexes: [
      { name: 'byKind', partitionKey: s('kind'), sortKey: s('name') },
    ],
    critical: true,
  },
  policyMembers: {
    id: 'policy-members',
    env: 'POLICY_MEMBERS_TABLE',
    partitionKey: s('policyId'),
    sortKey: s('userId'),
    globalIndexes: [
      { name: 'byUser', partitionKey: s('userId'), sortKey: s('addedAt') },
    ],
    critical: true,
    stream: true,
  },
  cases: {
    id: 'cases',
    env: 'CASES_TABLE',
    partitionKey: s('caseId'),
    globalIndexes: [
      { name: 'byStatus', partitionKey: s('status'), sortKey: s('openedAt') },
      { name: 'byUser', partitionKey: s('userId'), sortKey: s('openedAt') },
    ],
    critical: true,
  },
  alerts: {
    id: 'alerts',
    env: 'ALERTS_TABLE',
    partitionKey: s('alertId'),
    globalIndexes: [
      { name: 'byCase', partitionKey: s('caseId'), sortKey: s('detectedAt') },
      { name: 'byUser', partitionKey: s('userId'), sortKey: s('detectedAt') },
    ],
    critical: true,
    stream: true,
  },
  notes: {
    id: 'notes',
    env: 'NOTES_TABLE',
    partitionKey: s('caseId'),
    sortKey: s('noteKey'),
    localIndexes: [
      { name: 'byTime', partitionKey: s('caseId'), sortKey: s('createdAt') },
    ],
    critical: true,
  },
  flows: {
    id: 'flows',
    env: 'FLOWS_TABLE',
    partitionKey: s('flowId'),
    sortKey: s('version'),
    globalIndexes: [
      { name: 'byKind', partitionKey: s('kind'), sortKey: s('createdAt') },
    ],
    critical: true,
  },
  runs: {
    id: 'runs',
    env: 'RUNS_TABLE',
    partitionKey: s('runId'),
    globalIndexes: [
      { name: 'byFlow', partitionKey: s('flowId'), sortKey: s('startedAt') },
    ],
    critical: true,
  },
  responses: {
    id: 'responses',
    env: 'RESPONSES_TABLE',
    partitionKey: s('linkHash'),
    globalIndexes: [
      { name: 'byRun', partitionKey: s('runId'), sortKey: s('recipient') },
    ],
    ttlAttribute: 'expiresAtEpoch',
    critical: false,
  },
  notifications: {
    id: 'notifications',
    env: 'NOTIFICATIONS_TABLE',
    partitionKey: s('runId'),
    sortKey: s('messageKey'),
    globalIndexes: [
      { name: 'byUser', partitionKey: s('userId'), sortKey: s('sentAt') },
    ],
    critical: true,
  },
  audit: {
    id: 'audit',
    env: 'AUDIT_TABLE',
    partitionKey: s('day'),
    sortKey: s('eventKey'),
    ttlAttribute: 'expiresAtEpoch',
    critical: true,
  },
  settings: {
    id: 'settings',
    env: 'SETTINGS_TABLE',
    partitionKey: s('settingId'),
    critical: true,
  },
} as const satisfies Record<string, TableSpec>;

export type TableId = keyof typeof TABLES;

/** Physical name of a table for a stage, e.g. `irm-local-cases`. */
export const physicalTableName = (stage: string, spec: TableSpec): string =>
  `irm-${stage}-${spec.id}`;
