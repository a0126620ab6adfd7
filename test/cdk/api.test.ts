import { afterAll, describe, expect, it } from '@jest/globals';
import { Match } from 'aws-cdk-lib/assertions';
import { ROUTES } from '../../functions/api/routes.js';
import { ROLE_GROUPS } from '../../functions/domain/model.js';
import {
  deployedSpecs,
  functionLogicalId,
  synthesiseStack,
  TEST_PARAMETERS,
  useScratchTmpdir,
} from './stack-fixture.js';

const cleanTmpdir = useScratchTmpdir();
afterAll(cleanTmpdir);

const { template } = synthesiseStack();
const deployed = new Set(deployedSpecs().map((spec) => spec.name));
const servedRoutes = ROUTES.filter((route) => deployed.has(route.function));
const eachRoute = servedRoutes.map(
  (route) => [`${route.method} ${route.path}`, route] as const,
);

const routeProperties = (routeKey: string) => {
  const [route] = Object.values(
    template.findResources('AWS::ApiGatewayV2::Route', {
      Properties: { RouteKey: routeKey },
    }),
  );

  return route?.Properties ?? {};
};

/** What a route's integration calls, found through its `Target`. */
const integrationTarget = (target: unknown): string => {
  const id = JSON.stringify(target).match(/"Ref":"([^"]+)"/)?.[1] ?? '';
  const integration = template.toJSON().Resources[id];

  return JSON.stringify(integration?.Properties.IntegrationUri);
};

const onlyLogicalId = (type: string): string => {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`Expected one ${type}`);

  return ids[0] ?? '';
};

describe('FlowsApi', () => {
  it('creates one route per route table entry', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Route', servedRoutes.length);
  });

  it.each(eachRoute)('integrates %s with its function', (routeKey, route) => {
    const target = routeProperties(routeKey).Target;

    expect(integrationTarget(target)).toContain(
      functionLogicalId(template, route.function),
    );
  });

  it.each(eachRoute.filter(([, route]) => route.roles !== 'public'))(
    'requires a Cognito token on %s',
    (routeKey) => {
      expect(routeProperties(routeKey)).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: onlyLogicalId('AWS::ApiGatewayV2::Authorizer') },
      });
    },
  );

  it.each(eachRoute.filter(([, route]) => route.roles === 'public'))(
    'serves %s without a token',
    (routeKey) => {
      const properties = routeProperties(routeKey);

      expect(properties.AuthorizationType).toBe('NONE');
      expect(properties.AuthorizerId).toBeUndefined();
    },
  );

  it('accepts only tokens the user pool issued to the app client', () => {
    const [authorizer] = Object.values(
      template.findResources('AWS::ApiGatewayV2::Authorizer'),
    );
    const jwt = authorizer?.Properties.JwtConfiguration;

    expect(authorizer?.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
    });
    expect(jwt.Audience).toEqual([
      { Ref: onlyLogicalId('AWS::Cognito::UserPoolClient') },
    ]);
    expect(JSON.stringify(jwt.Issuer)).toMatch(
      new RegExp(
        `https://cognito-idp\\..*${onlyLogicalId('AWS::Cognito::UserPool')}`,
      ),
    );
  });

  it('allows only the configured origins', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [...TEST_PARAMETERS.allowedOrigins],
        AllowHeaders: ['authorization', 'content-type'],
      },
    });
  });

  it('throttles every route and logs each request as JSON', () => {
    const [stage] = Object.values(
      template.findResources('AWS::ApiGatewayV2::Stage'),
    );
    const settings = stage?.Properties.AccessLogSettings;

    expect(stage?.Properties.DefaultRouteSettings).toEqual({
      ThrottlingBurstLimit: 100,
      ThrottlingRateLimit: 50,
    });
    expect(JSON.parse(settings.Format)).toMatchObject({
      requestId: '$context.requestId',
      status: '$context.status',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/apigateway/irm-test',
      RetentionInDays: 90,
    });
  });
});

describe('StaffIdentity', () => {
  it('creates one group per role group', () => {
    const groups = Object.values(
      template.findResources('AWS::Cognito::UserPoolGroup'),
    ).map((group) => group.Properties.GroupName);

    expect(groups.sort()).toEqual([...ROLE_GROUPS].sort());
  });

  it('lets only administrators create accounts, with MFA required', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      UserPoolTier: 'PLUS',
      DeletionProtection: 'ACTIVE',
    });
  });

  it('requires long passwords with every kind of character', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: {
        PasswordPolicy: {
          MinimumLength: 14,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
    });
  });

  it('creates a public app client for SRP and CLI sign-in', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      GenerateSecret: false,
      ExplicitAuthFlows: Match.arrayWith([
        'ALLOW_USER_PASSWORD_AUTH',
        'ALLOW_USER_SRP_AUTH',
      ]),
      PreventUserExistenceErrors: 'ENABLED',
    });
  });
});

describe('Mail', () => {
  it('verifies the sender and sends through the configuration set', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: TEST_PARAMETERS.senderAddress,
      ConfigurationSetAttributes: { ConfigurationSetName: Match.anyValue() },
    });
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      Name: 'irm-test',
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
    });
  });
});
