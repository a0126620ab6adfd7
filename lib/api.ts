import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IUserPool, IUserPoolClient } from 'aws-cdk-lib/aws-cognito';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { Route } from '../functions/api/routes.js';

export interface FlowsApiProps {
  /** Deployment name, part of the API's name. */
  readonly stage: string;
  /** The route table; routes of functions not created are left out. */
  readonly routes: readonly Route[];
  /** The functions by catalog name. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Issuer of the tokens the JWT authorizer accepts. */
  readonly userPool: IUserPool;
  /** Audience of the tokens the JWT authorizer accepts. */
  readonly client: IUserPoolClient;
  /** Browser origins allowed by CORS. */
  readonly allowedOrigins: readonly string[];
  /** @default 50 requests a second, bursts of 100 */
  readonly throttle?: ThrottleSettings;
  /** @default three months */
  readonly logRetention?: RetentionDays;
}

/** One JSON line per request; no bodies, no tokens. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  route: '$context.routeKey',
  status: '$context.status',
  latencyMs: '$context.responseLatency',
  responseLength: '$context.responseLength',
  user: '$context.authorizer.claims.sub',
  authorizerError: '$context.authorizer.error',
  integrationError: '$context.integrationErrorMessage',
};

/**
 * The HTTP API: one route per entry of the route table, each integrated
 * with its function. Every route needs a Cognito token except the public
 * ones (health and the response pages that emails link to); the function
 * then checks the caller's role groups.
 */
export class FlowsApi extends Construct {
  readonly httpApi: HttpApi;

  constructor(scope: Construct, id: string, props: FlowsApiProps) {
    super(scope, id);

    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: `irm-${props.stage}`,
      createDefaultStage: false,
      corsPreflight: {
        allowOrigins: [...props.allowedOrigins],
        allowMethods: [CorsHttpMethod.ANY],
        allowHeaders: ['authorization', 'content-type'],
      },
    });
    new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle ?? { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(
          new LogGroup(this, 'AccessLogs', {
            logGroupName: `/aws/apigateway/irm-${props.stage}`,
            retention: props.logRetention ?? RetentionDays.THREE_MONTHS,
            removalPolicy: RemovalPolicy.DESTROY,
          }),
        ),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    this.addRoutes(props);
  }

  private addRoutes(props: FlowsApiProps): void {
    // A JWT authorizer whose issuer is the user pool and audience the client.
    const authorizer = new HttpUserPoolAuthorizer(
      'CognitoAuthorizer',
      props.userPool,
      { userPoolClients: [props.client] },
    );
    const integrations = new Map<string, HttpLambdaIntegration>();

    for (const route of props.routes) {
      const handler = props.functions.get(route.function);
      if (handler === undefined) continue;
      let integration = integrations.get(route.function);
      if (integration === undefined) {
        integration = new HttpLambdaIntegration(`${route.function}`, handler);
        integrations.set(route.function, integration);
      }

      const isPublic = route.roles === 'public';
      const [created] = this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
        authorizer: isPublic ? new HttpNoneAuthorizer() : authorizer,
      });
      if (isPublic && created) {
        Validations.of(created).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'This route is public by design: health checks and the response ' +
            'pages that emailed stakeholders open carry no Cognito token.',
        });
      }
    }
  }
}
