import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { actorFromEvent } from '../../functions/api/http.js';
import { matchRoute, ROUTES } from '../../functions/api/routes.js';

const withClaims = (claims: Record<string, unknown>) =>
  ({
    requestContext: { authorizer: { jwt: { claims } } },
  }) as unknown as APIGatewayProxyEventV2;

describe('matchRoute', () => {
  it('finds a route and decodes its parameters', () => {
    const match = matchRoute('GET', '/cases/case%20one/notes');

    expect(match?.route.id).toBe('listCaseNotes');
    expect(match?.params).toEqual({ caseId: 'case one' });
  });

  it('tells methods apart on the same path', () => {
    expect(matchRoute('POST', '/cases/c1/notes')?.route.id).toBe('addCaseNote');
    expect(matchRoute('DELETE', '/cases/c1/notes')).toBeUndefined();
  });

  it('has no two routes with the same method and path', () => {
    const keys = ROUTES.map((route) => `${route.method} ${route.path}`);

    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('actorFromEvent', () => {
  it('reads groups from an array claim', () => {
    const actor = actorFromEvent(
      withClaims({
        sub: 'u1',
        'cognito:groups': ['InsiderRiskManagementAnalysts'],
      }),
    );

    expect(actor).toEqual({
      userId: 'u1',
      groups: ['InsiderRiskManagementAnalysts'],
    });
  });

  it('reads groups from the flattened string API Gateway passes', () => {
    const actor = actorFromEvent(
      withClaims({
        'cognito:username': 'u2',
        'cognito:groups':
          '[InsiderRiskManagementAuditors InsiderRiskManagementAdmins]',
      }),
    );

    expect(actor.groups).toEqual([
      'InsiderRiskManagementAuditors',
      'InsiderRiskManagementAdmins',
    ]);
  });

  it('drops groups that are not insider risk role groups', () => {
    const actor = actorFromEvent(
      withClaims({ sub: 'u3', 'cognito:groups': ['Administrators'] }),
    );

    expect(actor.groups).toEqual([]);
  });

  it('refuses an event without claims', () => {
    expect(() => actorFromEvent(withClaims(undefined as never))).toThrow(
      'Send a bearer token',
    );
  });
});
