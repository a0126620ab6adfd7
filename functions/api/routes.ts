import type { FlowDoor } from '../domain/flows.js';
import type { RoleGroup } from '../domain/model.js';
import type { FlowTarget } from '../domain/templates.js';

/**
 * The one route table. The CDK construct creates an HTTP API route for each
 * entry (with the JWT authorizer unless it is public); the local API server
 * serves the same entries; the API handler enforces `roles` on every call.
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  readonly id: string;
  readonly method: HttpMethod;
  /** API Gateway path syntax: `/cases/{caseId}`. */
  readonly path: string;
  /** Role groups allowed; `public` routes need no token. */
  readonly roles: readonly RoleGroup[] | 'public';
  /** Function serving the route (a name in the function catalog). */
  readonly function: 'api' | 'response-page';
}

const ALL_IRM: readonly RoleGroup[] = [
  'InsiderRiskManagement',
  'InsiderRiskManagementAdmins',
  'InsiderRiskManagementAnalysts',
  'InsiderRiskManagementInvestigators',
  'InsiderRiskManagementAuditors',
  'InsiderRiskManagementApprovers',
];

/** Role groups that see cases and their alerts. */
export const CASE_READERS: readonly RoleGroup[] = [
  'InsiderRiskManagement',
  'InsiderRiskManagementAnalysts',
  'InsiderRiskManagementInvestigators',
];

/** Role groups that write case notes. */
export const NOTE_WRITERS: readonly RoleGroup[] = [
  'InsiderRiskManagement',
  'InsiderRiskManagementInvestigators',
];

/** Role groups that triage alerts. */
export const ALERT_TRIAGERS: readonly RoleGroup[] = [
  'InsiderRiskManagement',
  'InsiderRiskManagementAnalysts',
];

/** Role groups that see users (the users dashboard, and a case's user). */
export const USER_READERS: readonly RoleGroup[] = CASE_READERS;

/** Role groups that manage policies and settings. */
export const ADMINS: readonly RoleGroup[] = [
  'InsiderRiskManagement',
  'InsiderRiskManagementAdmins',
];

/** Role groups that read and export the audit log. */
export const AUDIT_READERS: readonly RoleGroup[] = [
  'InsiderRiskManagement',
  'InsiderRiskManagementAuditors',
];

/**
 * "Manage flows" beside cases and users: any insider risk role group except
 * Approvers, whose role the documentation gives no flow rights.
 */
export const FLOW_USERS: readonly RoleGroup[] = ALL_IRM.filter(
  (group) => group !== 'InsiderRiskManagementApprovers',
);

/**
 * Role groups that may run a flow on its kind of target: those who see
 * cases run case flows, those who see users run user flows.
 */
export const runnersOf = (target: FlowTarget): readonly RoleGroup[] =>
  target === 'case' ? CASE_READERS : USER_READERS;

/** Role groups that reach each door's flow routes. */
export const FLOW_DOOR_ROLES: Readonly<Record<FlowDoor, readonly RoleGroup[]>> =
  { dashboard: FLOW_USERS, settings: ADMINS };

const api = (
  id: string,
  method: HttpMethod,
  path: string,
  roles: Route['roles'],
): Route => ({ id, method, path, roles, function: 'api' });

/**
 * The two doors of the original: "Manage flows" beside cases and users
 * (`/flows`) and the settings area (`/settings/flows`). Both serve the same
 * operations; route ids carry the door as a prefix.
 */
const flowDoor = (
  prefix: string,
  base: string,
  roles: readonly RoleGroup[],
): Route[] => {
  const id = (name: string) =>
    prefix ? `${prefix}${name[0]?.toUpperCase()}${name.slice(1)}` : name;

  return [
    api(id('listFlows'), 'GET', base, roles),
    api(id('createFlow'), 'POST', base, roles),
    api(id('getFlow'), 'GET', `${base}/{flowId}`, roles),
    api(id('editFlow'), 'PATCH', `${base}/{flowId}`, roles),
    api(id('deleteFlow'), 'DELETE', `${base}/{flowId}`, roles),
    api(id('shareFlow'), 'POST', `${base}/{flowId}/share`, roles),
  ];
};

/** A public response page: the token in the link is the only key. */
const page = (id: string, method: HttpMethod, path: string): Route => ({
  id,
  method,
  path,
  roles: 'public',
  function: 'response-page',
});

export const ROUTES: readonly Route[] = [
  api('health', 'GET', '/health', 'public'),
  api('listCases', 'GET', '/cases', CASE_READERS),
  api('getCase', 'GET', '/cases/{caseId}', CASE_READERS),
  api('listCaseAlerts', 'GET', '/cases/{caseId}/alerts', CASE_READERS),
  api('listCaseNotes', 'GET', '/cases/{caseId}/notes', CASE_READERS),
  api('addCaseNote', 'POST', '/cases/{caseId}/notes', NOTE_WRITERS),
  api('getAlert', 'GET', '/alerts/{alertId}', CASE_READERS),
  api('confirmAlert', 'POST', '/alerts/{alertId}/confirm', ALERT_TRIAGERS),
  api('listUsers', 'GET', '/users', USER_READERS),
  api('getUser', 'GET', '/users/{userId}', USER_READERS),
  api(
    'listUserNotifications',
    'GET',
    '/users/{userId}/notifications',
    USER_READERS,
  ),
  api('listPolicies', 'GET', '/policies', [...USER_READERS, ...ADMINS]),
  api('addPolicyMember', 'POST', '/policies/{policyId}/users', ADMINS),
  api('listTemplates', 'GET', '/templates', FLOW_USERS),
  ...flowDoor('', '/flows', FLOW_DOOR_ROLES.dashboard),
  ...flowDoor('settings', '/settings/flows', FLOW_DOOR_ROLES.settings),
  api('startRun', 'POST', '/flows/{flowId}/runs', FLOW_USERS),
  api('listFlowRuns', 'GET', '/flows/{flowId}/runs', FLOW_USERS),
  api('getRun', 'GET', '/runs/{runId}', FLOW_USERS),
  api('listAudit', 'GET', '/audit', AUDIT_READERS),
  api('exportAudit', 'GET', '/audit/export', AUDIT_READERS),
  api('getPrivacy', 'GET', '/settings/privacy', ALL_IRM),
  api('putPrivacy', 'PUT', '/settings/privacy', ADMINS),
  page('showResponsePage', 'GET', '/r/{token}'),
  page('headResponsePage', 'HEAD', '/r/{token}'),
  page('recordResponse', 'POST', '/r/{token}'),
];

/** A route that fits a request's method and path, with its parameters. */
export interface RouteMatch {
  readonly route: Route;
  /**
   * Parameters, percent-decoded; one that is not valid percent-encoding is
   * kept as sent, and `badEncoding` is true.
   */
  readonly params: Record<string, string>;
  /** True when a parameter is not valid percent-encoding: answer 400. */
  readonly badEncoding: boolean;
}

/** What the API answers for a path that is not valid percent-encoding. */
export const BAD_ENCODING_MESSAGE = 'The path is not valid percent-encoding';

/**
 * Finds the route for a method and a concrete path, with its parameters.
 * A trailing slash is ignored, as API Gateway does; an empty segment
 * (`/cases//notes`) matches no route rather than shifting the others.
 */
export const matchRoute = (
  method: string,
  path: string,
  routes: readonly Route[] = ROUTES,
): RouteMatch | undefined => {
  const segments = path
    .replace(/(.)\/$/, '$1')
    .split('/')
    .slice(1);
  if (segments.includes('')) return undefined;
  for (const route of routes) {
    if (route.method !== method) continue;
    const raw = matchPath(route.path, segments);
    if (raw) return decodeParams(route, raw);
  }

  return undefined;
};

const matchPath = (
  pattern: string,
  segments: readonly string[],
): Record<string, string> | undefined => {
  const parts = pattern.split('/').filter(Boolean);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of parts.entries()) {
    const segment = segments[index] ?? '';
    if (part.startsWith('{') && part.endsWith('}')) {
      params[part.slice(1, -1)] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }

  return params;
};

const decodeParams = (
  route: Route,
  raw: Record<string, string>,
): RouteMatch => {
  const params: Record<string, string> = {};
  let badEncoding = false;
  for (const [name, segment] of Object.entries(raw)) {
    try {
      params[name] = decodeURIComponent(segment);
    } catch {
      params[name] = segment;
      badEncoding = true;
    }
  }

  return { route, params, badEncoding };
};
