import { ROUTES } from '../../functions/api/routes.js';
import { ROLE_GROUPS } from '../../functions/domain/model.js';
import type { LocalStack } from '../../local/stack.js';
import { apiCall, startTestStack } from '../support/stack.js';

/*
 * The permission matrix: every role group against every private route of
 * both doors. A group the route table allows must never get 401 or 403 (it
 * may get 400 or 404 for the placeholder ids used here); every other group
 * must get 403, and nothing may change for it.
 */

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack.close();
});

const privateRoutes = ROUTES.filter((route) => route.roles !== 'public');

const cases = privateRoutes.flatMap((route) =>
  ROLE_GROUPS.map((group) => ({
    key: `${route.method} ${route.path}`,
    route,
    group,
    allowed: (route.roles as readonly string[]).includes(group),
  })),
);

const concretePath = (path: string): string =>
  path.replace(/\{(\w+)\}/g, (_, name: string) => `no-such-${name}`);

describe('the permission matrix', () => {
  it.each(cases)(
    'answers $key for $group by the route table',
    async ({ route, group, allowed }) => {
      const answer = await apiCall(
        stack,
        route.method,
        concretePath(route.path),
        {
          group,
          body: ['POST', 'PUT', 'PATCH'].includes(route.method)
            ? {}
            : undefined,
        },
      );

      if (allowed) {
        expect([401, 403]).not.toContain(answer.status);
      } else {
        expect(answer.status).toBe(403);
      }
    },
  );

  it('covers both doors to flows', () => {
    const doors = privateRoutes.map((route) => route.path.split('/')[1]);

    expect(doors).toEqual(expect.arrayContaining(['flows', 'settings']));
  });

  it('keeps the settings door to InsiderRiskManagement and Admins', () => {
    const settingsFlows = privateRoutes.filter((route) =>
      route.path.startsWith('/settings/flows'),
    );

    for (const route of settingsFlows) {
      expect(route.roles).toEqual([
        'InsiderRiskManagement',
        'InsiderRiskManagementAdmins',
      ]);
    }
  });

  it('gives Approvers no flow rights at the dashboard door', () => {
    const flowRoutes = privateRoutes.filter((route) =>
      route.path.startsWith('/flows'),
    );

    for (const route of flowRoutes) {
      expect(route.roles).not.toContain('InsiderRiskManagementApprovers');
    }
  });
});
