import { exportAuditRoute, listAuditRoute } from './audit.js';
import {
  addCaseNoteRoute,
  confirmAlertRoute,
  getAlertRoute,
  getCaseRoute,
  listCaseAlertsRoute,
  listCaseNotesRoute,
  listCasesRoute,
} from './cases.js';
import {
  flowRoutes,
  getRunRoute,
  listFlowRunsRoute,
  listTemplatesRoute,
  startRunRoute,
} from './flows.js';
import type { ApiRequest, ApiResponse } from './http.js';
import { getPrivacyRoute, putPrivacyRoute } from './privacy.js';
import {
  addPolicyMemberRoute,
  getUserRoute,
  listPoliciesRoute,
  listUserNotificationsRoute,
  listUsersRoute,
} from './users.js';

export type RouteImplementation = (request: ApiRequest) => Promise<ApiResponse>;

const doorRoutes = (
  prefix: string,
  routes: ReturnType<typeof flowRoutes>,
): Record<string, RouteImplementation> => {
  const id = (name: string) =>
    prefix ? `${prefix}${name[0]?.toUpperCase()}${name.slice(1)}` : name;

  return {
    [id('listFlows')]: routes.list,
    [id('createFlow')]: routes.create,
    [id('getFlow')]: routes.get,
    [id('editFlow')]: routes.edit,
    [id('deleteFlow')]: routes.remove,
    [id('shareFlow')]: routes.share,
  };
};

/** The implementation of each private route, by route id. */
export const IMPLEMENTATIONS: Readonly<Record<string, RouteImplementation>> = {
  health: async () => ({ status: 200, body: { status: 'ok' } }),
  listCases: listCasesRoute,
  getCase: getCaseRoute,
  listCaseAlerts: listCaseAlertsRoute,
  listCaseNotes: listCaseNotesRoute,
  addCaseNote: addCaseNoteRoute,
  getAlert: getAlertRoute,
  confirmAlert: confirmAlertRoute,
  listUsers: listUsersRoute,
  getUser: getUserRoute,
  listUserNotifications: listUserNotificationsRoute,
  listPolicies: listPoliciesRoute,
  addPolicyMember: addPolicyMemberRoute,
  listTemplates: listTemplatesRoute,
  ...doorRoutes('', flowRoutes('dashboard')),
  ...doorRoutes('settings', flowRoutes('settings')),
  startRun: startRunRoute,
  listFlowRuns: listFlowRunsRoute,
  getRun: getRunRoute,
  listAudit: listAuditRoute,
  exportAudit: exportAuditRoute,
  getPrivacy: getPrivacyRoute,
  putPrivacy: putPrivacyRoute,
};
