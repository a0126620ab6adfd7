import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ROUTES } from '../functions/api/routes.js';
import { ActionFunctions } from './actions.js';
import { FlowsApi } from './api.js';
import { DataTables } from './data.js';
import { CustomFlowRole, TemplateFlows } from './flows.js';
import { StaffIdentity } from './identity.js';
import { Mail } from './mail.js';
import { Operations } from './operations.js';
import type { DeployParameters } from './parameters.js';
import { FlowSecrets } from './secrets.js';

export interface InsiderRiskStackProps extends StackProps {
  /** Everything that differs between deployments. */
  readonly parameters: DeployParameters;
  /** Folder of the ASL files. @default the project's `statemachines/` */
  readonly stateMachinesDir?: string;
}

/** The whole product in one stack, composed from one construct per concern. */
export class InsiderRiskStack extends Stack {
  constructor(scope: Construct, id: string, props: InsiderRiskStackProps) {
    super(scope, id, props);
    const { parameters } = props;
    const { stage } = parameters;

    const operations = new Operations(this, 'Operations', {
      stage,
      alarmEmail: parameters.alarmEmail,
    });
    const data = new DataTables(this, 'Data', { stage });
    const secrets = new FlowSecrets(this, 'Secrets', {
      stage,
      serviceNowSecretName: parameters.serviceNowSecretName,
    });
    const mail = new Mail(this, 'Mail', {
      stage,
      senderAddress: parameters.senderAddress,
      senderIdentity: parameters.senderIdentity,
      topicKey: operations.topicKey,
      undelivered: operations.undelivered,
    });
    const customFlows = new CustomFlowRole(this, 'CustomFlows');

    const functions = new ActionFunctions(this, 'Functions', {
      stage,
      tables: data.tables,
      mail,
      secrets,
      customFlowRole: customFlows.role,
      failedInvocations: operations.failedInvocations,
      publicBaseUrl: parameters.publicBaseUrl,
      serviceNowInstanceUrl: parameters.serviceNowInstanceUrl,
    });
    customFlows.allowInvoking(functions.specs, functions.byName);
    const emailEvents = functions.byName.get('ses-events');
    if (emailEvents !== undefined) mail.deliverEventsTo(emailEvents);

    new TemplateFlows(this, 'Flows', {
      stage,
      functions: functions.byName,
      operations,
      stateMachinesDir: props.stateMachinesDir,
    });

    const identity = new StaffIdentity(this, 'Identity', { stage });
    const api = new FlowsApi(this, 'Api', {
      stage,
      routes: ROUTES,
      functions: functions.byName,
      userPool: identity.userPool,
      client: identity.client,
      allowedOrigins: parameters.allowedOrigins,
    });

    new CfnOutput(this, 'ApiUrl', { value: api.httpApi.apiEndpoint });
    new CfnOutput(this, 'UserPoolId', { value: identity.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', {
      value: identity.client.userPoolClientId,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: operations.alarmTopic.topicArn,
    });
  }
}
