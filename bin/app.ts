import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import {
  DeployParameterError,
  type DeployParameters,
  readDeployParameters,
} from '../lib/parameters.js';
import { InsiderRiskStack } from '../lib/stack.js';

/*
 * The CDK app. Every deployment parameter comes from context
 * (`-c stage=prod -c senderAddress=…`, see docs/deploy.md); none has a
 * default, so a forgotten one stops the synthesis with its name.
 */

const app = new App();

const readParameters = (): DeployParameters => {
  try {
    return readDeployParameters(app);
  } catch (error) {
    if (!(error instanceof DeployParameterError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
};
const parameters = readParameters();

new InsiderRiskStack(app, `irm-${parameters.stage}`, {
  parameters,
  description: 'Insider risk case automation: flows on cases and users',
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: process.env.CDK_DEFAULT_REGION,
  },
});

Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app),
  new ServerlessChecks(app),
);
