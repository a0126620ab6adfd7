import type { TableId } from './domain/tables.js';

/**
 * Every Lambda function of the product and what it may touch. The CDK stack
 * creates one function per entry with exactly these grants; the local stack
 * resolves the same names to the same handler files.
 */

export type TableAccess = 'read' | 'write' | 'readwrite';

export interface FunctionSpec {
  /** kebab-case name; the file is `functions/<name>.ts`. */
  readonly name: string;
  readonly description: string;
  readonly tables: Partial<Record<TableId, TableAccess>>;
  /** Sends email through SES v2. */
  readonly sendsEmail?: boolean;
  /** Step Functions calls it makes. */
  readonly stepFunctions?: readonly ('start' | 'read' | 'manage')[];
  /** Secrets it reads: `servicenow` credentials, `alias` key. */
  readonly secrets?: readonly ('servicenow' | 'alias')[];
  /** Renders `functions/templates/*.hbs`: the bundle carries the folder. */
  readonly templates?: boolean;
  /** Short name a custom flow uses in a Task state's Resource. */
  readonly shortName?: string;
  readonly memoryMb?: number;
  readonly timeoutSeconds?: number;
  /** Tables whose change streams invoke the function (on AWS and locally). */
  readonly streams?: readonly TableId[];
}

/** Actions that state machines call. */
export const ACTIONS = [
  {
    name: 'get-alert',
    description: 'Get alert',
    tables: { alerts: 'read', users: 'read', settings: 'read' },
    secrets: ['alias'],
    shortName: 'irm:getAlert',
  },
  {
    name: 'get-case',
    description: 'Get case, with its alert count',
    tables: { cases: 'read', alerts: 'read', users: 'read', settings: 'read' },
    secrets: ['alias'],
    shortName: 'irm:getCase',
  },
  {
    name: 'get-user',
    description: 'Get user, with the manager resolved',
    tables: { users: 'read', settings: 'read' },
    secrets: ['alias'],
    shortName: 'irm:getUser',
  },
  {
    name: 'get-alerts-for-case',
    description: 'Get every alert of a case, paged internally',
    tables: { alerts: 'read' },
    shortName: 'irm:getAlertsForCase',
  },
  {
    name: 'add-case-note',
    description: 'Add a case note, once per note key',
    tables: { cases: 'read', notes: 'readwrite' },
    shortName: 'irm:addCaseNote',
  },
  {
    name: 'send-email',
    description: 'Send one email per recipient per run through SES v2',
    tables: {
      users: 'read',
      policies: 'read',
      policyMembers: 'read',
      cases: 'read',
      alerts: 'read',
      flows: 'read',
      responses: 'read',
      notifications: 'readwrite',
      settings: 'read',
    },
    sendsEmail: true,
    secrets: ['alias'],
    templates: true,
    shortName: 'irm:sendEmail',
  },
  {
    name: 'record-notification',
    description: 'Record a sent notification for tracking',
    tables: { notifications: 'readwrite' },
  },
  {
    name: 'create-response-requests',
    description: 'Create response requests and their links for stakeholders',
    tables: { flows: 'read', cases: 'read', responses: 'readwrite' },
    secrets: ['alias'],
  },
  {
    name: 'check-responses',
    description:
      'List the stakeholders who have not answered; close them at the deadline',
    tables: { responses: 'readwrite' },
  },
  {
    name: 'create-servicenow-record',
    description: 'Create one ServiceNow record for a case',
    tables: {
      flows: 'read',
      cases: 'read',
      alerts: 'read',
      users: 'read',
      settings: 'read',
    },
    secrets: ['servicenow', 'alias'],
    timeoutSeconds: 60,
  },
  {
    name: 'record-run-outcome',
    description: 'Record how a run ended, and a case note when it failed',
    tables: {
      runs: 'readwrite',
      flows: 'read',
      cases: 'read',
      notes: 'readwrite',
      users: 'read',
      settings: 'read',
      audit: 'write',
    },
    secrets: ['alias'],
  },
  {
    name: 'check-privacy',
    description: 'Stop a flow that would reveal identity while pseudonymised',
    tables: { settings: 'read' },
  },
] as const satisfies readonly FunctionSpec[];

export type ActionName = (typeof ACTIONS)[number]['name'];

/** Functions behind the HTTP API. */
export const API_FUNCTIONS = [
  {
    name: 'api',
    description: 'The private HTTP API: cases, alerts, users, flows, runs',
    tables: {
      users: 'readwrite',
      policies: 'read',
      policyMembers: 'readwrite',
      cases: 'readwrite',
      alerts: 'readwrite',
      notes: 'readwrite',
      flows: 'readwrite',
      runs: 'readwrite',
      notifications: 'read',
      audit: 'readwrite',
      settings: 'readwrite',
    },
    stepFunctions: ['start', 'read', 'manage'],
    secrets: ['alias'],
    memoryMb: 512,
    timeoutSeconds: 29,
  },
  {
    name: 'response-page',
    description: 'Public response pages behind the links in emails',
    tables: {
      responses: 'readwrite',
      cases: 'read',
      notes: 'readwrite',
      audit: 'write',
    },
    templates: true,
  },
] as const satisfies readonly FunctionSpec[];

/** Functions that table change streams invoke. */
export const STREAM_FUNCTIONS = [
  {
    name: 'flow-trigger',
    description:
      'Start the flows a new policy member or confirmed alert triggers',
    tables: {
      policyMembers: 'read',
      users: 'read',
      cases: 'read',
      flows: 'read',
      runs: 'readwrite',
      audit: 'write',
    },
    stepFunctions: ['start'],
    streams: ['policyMembers', 'alerts'],
    timeoutSeconds: 60,
  },
] as const satisfies readonly FunctionSpec[];

/** Functions that SES events reach through SNS. */
export const EVENT_FUNCTIONS = [
  {
    name: 'ses-events',
    description: 'Record bounced and complaining addresses as suppressed',
    tables: { settings: 'write' },
  },
] as const satisfies readonly FunctionSpec[];

export const ALL_FUNCTIONS: readonly FunctionSpec[] = [
  ...ACTIONS,
  ...API_FUNCTIONS,
  ...STREAM_FUNCTIONS,
  ...EVENT_FUNCTIONS,
];

/**
 * Functions a custom flow's state machine invokes: the actions with a short
 * name, and record-run-outcome, which the wrapper around every custom
 * definition calls (no definition can name it). The custom-flow role needs
 * to invoke these and nothing else.
 */
export const CUSTOM_FLOW_FUNCTIONS: readonly string[] = [
  ...ACTIONS.flatMap((spec) => ('shortName' in spec ? [spec.name] : [])),
  'record-run-outcome',
];

/** `get-case` → `GetCaseFunctionArn`, the ASL definition substitution. */
export const substitutionName = (functionName: string): string =>
  `${functionName
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('')}FunctionArn`;

/** The flow templates, one state machine file each in `statemachines/`. */
export const TEMPLATE_MACHINES = [
  { templateId: 'notify-users', file: 'notify-users.asl.json' },
  { templateId: 'request-info', file: 'request-info.asl.json' },
  { templateId: 'notify-manager', file: 'notify-manager.asl.json' },
  { templateId: 'servicenow-record', file: 'servicenow-record.asl.json' },
] as const;

export type TemplateId = (typeof TEMPLATE_MACHINES)[number]['templateId'];

/** Name of a template's state machine for a stage: `irm-local-notify-users`. */
export const stateMachineName = (stage: string, templateId: string): string =>
  `irm-${stage}-${templateId}`;
