import { FLOW_USERS } from '../functions/api/routes.js';
import { ConflictError } from '../functions/domain/errors.js';
import { createFlow, type Flow } from '../functions/domain/flows.js';
import { TEMPLATES, type TemplateKey } from '../functions/domain/templates.js';

const DEMO_CREATOR = 'demo-irm';

const DEMO_FLOWS: readonly {
  flowId: string;
  templateId: TemplateKey;
  name: string;
  settings: Record<string, unknown>;
}[] = [
  {
    flowId: 'flow-demo-notify-users',
    templateId: 'notify-users',
    name: 'Tell users and managers about policy scope',
    settings: {},
  },
  {
    flowId: 'flow-demo-request-info',
    templateId: 'request-info',
    name: 'Ask HR and the business unit',
    settings: {
      stakeholders: [
        { email: 'hr-partner@northwind.example', name: 'HR business partner' },
        { email: 'legal@northwind.example', name: 'Legal counsel' },
      ],
    },
  },
  {
    flowId: 'flow-demo-notify-manager',
    templateId: 'notify-manager',
    name: "Tell the manager about a user's alerts",
    settings: {},
  },
  {
    flowId: 'flow-demo-servicenow',
    templateId: 'servicenow-record',
    name: 'Open a ServiceNow incident',
    settings: {},
  },
];

/** Creates one demo flow per template; existing ones are left as they are. */
export const createDemoFlows = async (): Promise<Flow[]> => {
  const created: Flow[] = [];
  const now = new Date().toISOString();
  for (const demo of DEMO_FLOWS) {
    try {
      created.push(
        await createFlow({
          ...demo,
          settings: TEMPLATES[demo.templateId].settings.parse(demo.settings),
          door: 'dashboard',
          createdBy: DEMO_CREATOR,
          createdAt: now,
          updatedAt: now,
          updatedBy: DEMO_CREATOR,
          owners: [],
          // Shared with every role group that may run flows, so each demo
          // token sees them under Team flows.
          ownerGroups: FLOW_USERS,
        }),
      );
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }

  return created;
};
