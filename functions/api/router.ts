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
  createFlowRoute,
  getFlowRoute,
  getRunRoute,
  listFlowRunsRoute,
  listFlowsRoute,
  listTemplatesRoute,
  startRunRoute,
} from './flows.js';
import type { ApiRequest, ApiResponse } from './http.js';
import {
  addPolicyMemberRoute,
  getUserRoute,
  listPoliciesRoute,
  listUserNotificationsRoute,
  listUsersRoute,
} from './users.js';

export type RouteImplementation = (
  request: ApiRequest,
) => Promise<ApiResponse>;

/** The implementation of each private route, by route id. */
export const IMPLEMENTATIONS: Readonly<Record<string, RouteImplementation>> =
  {
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
    listFlows: listFlowsRoute,
    createFlow: createFlowRoute,
    getFlow: getFlowRoute,
    startRun: startRunRoute,
    listFlowRuns: listFlowRunsRoute,
    getRun: getRunRoute,
  };
