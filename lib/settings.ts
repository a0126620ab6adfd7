import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { FunctionSpec } from '../functions/catalog.js';
import { TABLES, type TableId } from '../functions/domain/tables.js';
import {
  customFlowPrefix,
  functionArnPrefix,
  stateMachineArnPrefix,
} from './arns.js';

/** Where the values of the function settings come from. */
export interface SettingsSources {
  readonly stage: string;
  readonly publicBaseUrl: string;
  readonly serviceNowInstanceUrl: string;
  readonly tables: Readonly<Record<TableId, ITable>>;
  readonly mail: {
    readonly senderAddress: string;
    readonly configurationSetName: string;
  };
  readonly secrets: {
    readonly serviceNow: ISecret;
    readonly aliasKey: ISecret;
  };
  readonly customFlowRoleArn: string;
}

/** Settings every function gets. */
const COMMON_SETTINGS = {
  POWERTOOLS_SERVICE_NAME: 'insider-risk-flows',
  POWERTOOLS_METRICS_NAMESPACE: 'InsiderRiskFlows',
  POWERTOOLS_LOG_LEVEL: 'INFO',
  // Stack traces point into the TypeScript sources, not the minified bundle.
  NODE_OPTIONS: '--enable-source-maps',
  // Where the bundle's copy of functions/templates lands in the Lambda.
  TEMPLATES_DIR: '/var/task/templates',
};

/**
 * The environment of a function: the common settings plus those its catalog
 * entry says it uses (its tables, email, Step Functions levels, secrets).
 */
export const settingsFor = (
  spec: FunctionSpec,
  sources: SettingsSources,
): Record<string, string> => {
  const { stage, mail, secrets } = sources;
  const tables = Object.keys(spec.tables) as TableId[];
  const levels = spec.stepFunctions ?? [];
  const uses = (secret: 'servicenow' | 'alias') =>
    spec.secrets?.includes(secret) ?? false;

  return {
    ...COMMON_SETTINGS,
    STAGE: stage,
    PUBLIC_BASE_URL: sources.publicBaseUrl,
    ...Object.fromEntries(
      tables.map((tableId) => [
        TABLES[tableId].env,
        sources.tables[tableId].tableName,
      ]),
    ),
    ...(spec.sendsEmail && {
      SENDER_ADDRESS: mail.senderAddress,
      SES_CONFIGURATION_SET: mail.configurationSetName,
    }),
    ...(levels.length > 0 && {
      STATE_MACHINE_ARN_PREFIX: stateMachineArnPrefix(stage),
    }),
    ...(levels.includes('manage') && {
      CUSTOM_FLOW_ROLE_ARN: sources.customFlowRoleArn,
      CUSTOM_FLOW_PREFIX: customFlowPrefix(stage),
      FUNCTION_ARN_PREFIX: functionArnPrefix(stage),
    }),
    ...(uses('servicenow') && {
      SERVICENOW_SECRET_ARN: secrets.serviceNow.secretArn,
      SERVICENOW_INSTANCE_URL: sources.serviceNowInstanceUrl,
    }),
    ...(uses('alias') && { ALIAS_SECRET_ARN: secrets.aliasKey.secretArn }),
  };
};
