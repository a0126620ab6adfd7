import Handlebars from 'handlebars';
import { type FieldProblem, InvalidInputError } from './errors.js';
import {
  type Alert,
  type Case,
  type Severity,
  severityRank,
  type User,
} from './model.js';

/*
 * A ServiceNow field mapping is data, not code: each value is a Handlebars
 * template that may only insert plain values such as `{{case.name}}`. No
 * helpers, blocks or partials, so a flow's settings can never run logic.
 * Values go into a JSON body, not HTML, so nothing is HTML-escaped.
 */

/** Most recent alerts a mapping can reach as `alerts.list.N.*`. */
export const MAX_LISTED_ALERTS = 20;

const CASE_VALUES = ['caseId', 'name', 'status', 'openedAt'] as const;
const USER_VALUES = [
  'userId',
  'displayName',
  'email',
  'jobTitle',
  'department',
  'businessUnit',
  'functionalUnit',
  'team',
] as const;
const ALERT_VALUES = [
  'total',
  'highestSeverity',
  'urgency',
  'summary',
] as const;
const LISTED_ALERT_VALUES = ['policyName', 'severity', 'detectedAt'] as const;

/** ServiceNow urgency and impact: 1 high, 2 medium, 3 low. */
export type Urgency = 1 | 2 | 3;

export interface ListedAlert {
  readonly policyName: string;
  readonly severity: Severity;
  readonly detectedAt: string;
}

/** The values a field mapping can insert, by the names templates use. */
export interface RecordContext {
  readonly case: Readonly<Record<(typeof CASE_VALUES)[number], string>>;
  readonly user: Readonly<Record<(typeof USER_VALUES)[number], string>>;
  readonly alerts: {
    readonly total: number;
    /** `None` when the case has no alerts. */
    readonly highestSeverity: Severity | 'None';
    readonly urgency: Urgency;
    /** One line per listed alert, and how many more there are. */
    readonly summary: string;
    /** The most recent alerts, at most MAX_LISTED_ALERTS. */
    readonly list: readonly ListedAlert[];
  };
}

/** Shows the user as the reviewer should see them (an alias, for example). */
export type PresentUser = (user: User) => User;

const URGENCY_BY_SEVERITY: Readonly<Record<Severity, Urgency>> = {
  High: 1,
  Medium: 2,
  Low: 3,
};

/**
 * ServiceNow urgency for an alert severity. A case without alerts is low
 * urgency (3): nothing in it says otherwise.
 */
export const urgencyFor = (severity: Severity | undefined): Urgency =>
  severity === undefined ? 3 : URGENCY_BY_SEVERITY[severity];

const highestSeverity = (alerts: readonly Alert[]): Severity | undefined =>
  alerts
    .map((alert) => alert.severity)
    .sort((a, b) => severityRank(a) - severityRank(b))[0];

const alertSummary = (listed: readonly ListedAlert[], total: number) => {
  const lines = listed.map(
    (alert) => `${alert.detectedAt} ${alert.severity} ${alert.policyName}`,
  );
  const more = total - listed.length;
  if (more > 0) lines.push(`and ${more} more`);

  return lines.join('\n');
};

const alertsContext = (alerts: readonly Alert[]): RecordContext['alerts'] => {
  const list = [...alerts]
    .sort((a, b) => b.detectedAt.localeCompare(a.detectedAt))
    .slice(0, MAX_LISTED_ALERTS)
    .map(({ policyName, severity, detectedAt }) => ({
      policyName,
      severity,
      detectedAt,
    }));
  const highest = highestSeverity(alerts);

  return {
    total: alerts.length,
    highestSeverity: highest ?? 'None',
    urgency: urgencyFor(highest),
    summary: alertSummary(list, alerts.length),
    list,
  };
};

const userContext = (user: User): RecordContext['user'] => ({
  userId: user.userId,
  displayName: user.displayName,
  email: user.email,
  jobTitle: user.jobTitle ?? '',
  department: user.department ?? '',
  businessUnit: user.businessUnit ?? '',
  functionalUnit: user.functionalUnit ?? '',
  team: user.team ?? '',
});

/**
 * The values a mapping renders from. Every known value is present (empty
 * when the directory lacks it), so a valid mapping renders for any case.
 * `presentUser` is where pseudonymisation swaps the user for an alias.
 *
 * @example
 * buildRecordContext({ case: found, user, alerts }, (u) => withAlias(u))
 */
export const buildRecordContext = (
  source: { case: Case; user: User; alerts: readonly Alert[] },
  presentUser: PresentUser = (user) => user,
): RecordContext => ({
  case: {
    caseId: source.case.caseId,
    name: source.case.name,
    status: source.case.status,
    openedAt: source.case.openedAt,
  },
  user: userContext(presentUser(source.user)),
  alerts: alertsContext(source.alerts),
});

const includes = (values: readonly string[], value: string | undefined) =>
  value !== undefined && values.includes(value);

const isListIndex = (part: string | undefined): boolean =>
  part !== undefined &&
  /^(0|[1-9]\d?)$/.test(part) &&
  Number(part) < MAX_LISTED_ALERTS;

const isKnownPath = (parts: readonly string[]): boolean => {
  const [root, name, index, listed] = parts;
  if (parts.length === 2) {
    if (root === 'case') return includes(CASE_VALUES, name);
    if (root === 'user') return includes(USER_VALUES, name);
    if (root === 'alerts') return includes(ALERT_VALUES, name);
  }

  return (
    parts.length === 4 &&
    root === 'alerts' &&
    name === 'list' &&
    isListIndex(index) &&
    includes(LISTED_ALERT_VALUES, listed)
  );
};

const PLAIN_PATH = /^[A-Za-z_]\w*(\.\w+)*$/;
const EXAMPLES = '{{case.name}}, {{user.displayName}} or {{alerts.total}}';

const pathProblem = (mustache: hbs.AST.MustacheStatement) => {
  const path = mustache.path;
  if (path.type !== 'PathExpression') {
    return 'inserts a literal; write the text outside {{ }} instead';
  }
  const { original, parts, data, depth } = path as hbs.AST.PathExpression;
  const plain = PLAIN_PATH.test(original) && !data && depth === 0;
  if (mustache.params.length > 0 || mustache.hash !== undefined) {
    return `calls a helper in {{${original} ...}}; only values can be inserted`;
  }
  if (!plain || !isKnownPath(parts)) {
    return (
      `uses {{${original}}}, which is not a value a mapping can use ` +
      `(such as ${EXAMPLES})`
    );
  }

  return undefined;
};

const statementProblem = (statement: hbs.AST.Statement) => {
  switch (statement.type) {
    case 'ContentStatement':
    case 'CommentStatement':
      return undefined;
    case 'MustacheStatement':
      return pathProblem(statement as hbs.AST.MustacheStatement);
    default:
      return (
        'uses a block, partial or helper; only values such as ' +
        '{{case.name}} can be inserted'
      );
  }
};

const parse = (template: string): hbs.AST.Program | string => {
  try {
    return Handlebars.parse(template);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);

    return `is not a valid template: ${reason.replace(/\s+/g, ' ').slice(0, 200)}`;
  }
};

const templateProblem = (template: string): string | undefined => {
  const program = parse(template);
  if (typeof program === 'string') return program;
  for (const statement of program.body) {
    const problem = statementProblem(statement);
    if (problem !== undefined) return problem;
  }

  return undefined;
};

/**
 * Checks a field mapping without rendering it: one problem per field whose
 * template is not plain text with known values. Saving a flow can call it so
 * that a bad mapping is refused before any run.
 */
export const checkFieldMapping = (
  fields: Readonly<Record<string, string>>,
): FieldProblem[] =>
  Object.entries(fields).flatMap(([field, template]) => {
    const problem = templateProblem(template);

    return problem === undefined
      ? []
      : [{ field: `fields.${field}`, problem: `${field} ${problem}` }];
  });

const templates = Handlebars.create();
const COMPILE_OPTIONS = {
  noEscape: true,
  strict: true,
  knownHelpersOnly: true,
} as const;

const renderField = (field: string, template: string, view: object) => {
  try {
    return templates.compile(template, COMPILE_OPTIONS)(view);
  } catch {
    // Unreachable for a checked mapping: every known value is in the view.
    throw new InvalidInputError(
      `ServiceNow field ${field} could not be filled from the case`,
      [{ field: `fields.${field}`, problem: 'refers to a missing value' }],
    );
  }
};

/* Missing list entries render as empty text rather than failing the run. */
const renderView = (context: RecordContext) => {
  const empty = { policyName: '', severity: '', detectedAt: '' };
  const list = Array.from(
    { length: MAX_LISTED_ALERTS },
    (_, index) => context.alerts.list[index] ?? empty,
  );

  return { ...context, alerts: { ...context.alerts, list } };
};

/**
 * Renders every mapped field from the context. A mapping that is not plain
 * values fails with an InvalidInputError naming each field at fault.
 */
export const renderFields = (
  fields: Readonly<Record<string, string>>,
  context: RecordContext,
): Record<string, string> => {
  const problems = checkFieldMapping(fields);
  if (problems.length > 0) {
    const summary = problems.map((p) => p.problem).join('; ');
    throw new InvalidInputError(
      `The ServiceNow field mapping cannot be used: ${summary}`,
      problems,
    );
  }
  const view = renderView(context);

  return Object.fromEntries(
    Object.entries(fields).map(([field, template]) => [
      field,
      renderField(field, template, view),
    ]),
  );
};
