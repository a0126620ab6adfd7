import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { actorFromEvent, checkPathParams } from '../../functions/api/http.js';
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

  it.each(['/cases/%ZZ', '/cases/%FF', '/users/%FF/notifications', '/r/%FF'])(
    'flags %s as bad percent-encoding instead of throwing',
    (path) => {
      const match = matchRoute('GET', path);

      expect(match?.badEncoding).toBe(true);
      expect(Object.values(match?.params ?? {})).toEqual([path.split('/')[2]]);
    },
  );

  it('matches no route for a path with an empty segment', () => {
    expect(matchRoute('GET', '/cases//notes')).toBeUndefined();
    expect(matchRoute('GET', '//cases')).toBeUndefined();
  });

  it('ignores one trailing slash', () => {
    expect(matchRoute('GET', '/cases/')?.route.id).toBe('listCases');
    expect(matchRoute('GET', '/cases/c1/')?.params).toEqual({ caseId: 'c1' });
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

  it('refuses claims that name no user with 401', () => {
    const event = withClaims({
      'cognito:groups': ['InsiderRiskManagementAnalysts'],
    });

    expect(() => actorFromEvent(event)).toThrow('The token names no user');
  });
});

describe('checkPathParams', () => {
  it('passes ids that follow the id rules', () => {
    const params = { caseId: 'case-1', userId: 'AnonZPY8J-02C4N' };

    expect(checkPathParams(params)).toEqual(params);
  });

  it.each([
    [
      'of 2,049 characters',
      'x'.repeat(2_049),
      'must be at most 200 characters',
    ],
    ['of 201 characters', 'x'.repeat(201), 'must be at most 200 characters'],
    [
      'with a leading space',
      ' case-1',
      'must not contain spaces, #, /, \\ or ?',
    ],
    ['with a slash', 'a/b', 'must not contain spaces, #, /, \\ or ?'],
  ])(
    'refuses an id %s with 400 naming path.caseId',
    (_how, caseId, problem) => {
      expect(() => checkPathParams({ caseId })).toThrow(
        expect.objectContaining({
          status: 400,
          fields: [{ field: 'path.caseId', problem }],
        }),
      );
    },
  );
});
