import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { type IRole, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  DefinitionBody,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  CUSTOM_FLOW_FUNCTIONS,
  type FunctionSpec,
  stateMachineName,
  substitutionName,
  TEMPLATE_MACHINES,
  type TemplateId,
} from '../functions/catalog.js';
import {
  readTemplateDefinition,
  TemplateDefinitionError,
} from './definitions.js';
import type { Operations } from './operations.js';
import { allow } from './permissions.js';
import { pascalCase, stateMachinesDir } from './project.js';

export interface TemplateFlowsProps {
  /** Deployment name, part of every state machine name. */
  readonly stage: string;
  /** The functions by catalog name; definitions call them by ARN. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Where the failure alarms go. */
  readonly operations: Operations;
  /** Folder of the ASL files. @default the project's `statemachines/` */
  readonly stateMachinesDir?: string;
  /** @default three months */
  readonly logRetention?: RetentionDays;
}

const LOGGING_REASON =
  'Step Functions logging and X-Ray tracing need CloudWatch Logs delivery ' +
  'and X-Ray actions that have no resource-level permissions.';

/**
 * One state machine per flow template, read from its ASL file.
 *
 * Every template is a Standard workflow, never Express: "request
 * information" waits days for stakeholders to answer, beyond Express's five
 * minutes, and the API shows runs through DescribeExecution and
 * GetExecutionHistory, which Express workflows do not support.
 */
export class TemplateFlows extends Construct {
  /** The state machines by template id. */
  readonly machines: ReadonlyMap<TemplateId, StateMachine>;

  private readonly props: TemplateFlowsProps;

  constructor(scope: Construct, id: string, props: TemplateFlowsProps) {
    super(scope, id);
    this.props = props;

    this.machines = new Map(
      TEMPLATE_MACHINES.map(({ templateId, file }) => [
        templateId,
        this.createMachine(templateId, file),
      ]),
    );
  }

  private createMachine(templateId: string, file: string): StateMachine {
    const { stage, functions } = this.props;
    const id = pascalCase(templateId);
    const name = stateMachineName(stage, templateId);
    const definition = readTemplateDefinition(
      this.props.stateMachinesDir ?? stateMachinesDir(),
      file,
    );

    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: `Runs ${name}: invokes only the functions it calls`,
    });
    allow(
      role,
      ['lambda:InvokeFunction'],
      definition.functionNames.map((functionName) => {
        const called = functions.get(functionName);
        if (called === undefined) {
          throw new TemplateDefinitionError(
            `${file} calls ${functionName}, whose handler does not exist yet`,
          );
        }

        return called.functionArn;
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: LOGGING_REASON,
    });

    const machine = new StateMachine(this, id, {
      stateMachineName: name,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition.body),
      definitionSubstitutions: Object.fromEntries(
        [...functions].map(([fn, handler]) => [
          substitutionName(fn),
          handler.functionArn,
        ]),
      ),
      role,
      tracingEnabled: true,
      logs: {
        destination: new LogGroup(this, `${id}Logs`, {
          logGroupName: `/aws/vendedlogs/states/${name}`,
          retention: this.props.logRetention ?? RetentionDays.THREE_MONTHS,
          removalPolicy: RemovalPolicy.DESTROY,
        }),
        level: LogLevel.ALL,
        // Run inputs and outputs hold names, addresses and response links;
        // they stay in the execution history and out of the log group.
        includeExecutionData: false,
      },
    });

    this.alarmOn(`${id}Failed`, `${name}-failed`, machine.metricFailed());
    this.alarmOn(
      `${id}TimedOut`,
      `${name}-timed-out`,
      machine.metricTimedOut(),
    );

    return machine;
  }

  /** Alarms when the metric counts one run or more in five minutes. */
  private alarmOn(id: string, alarmName: string, metric: Metric): void {
    const alarm = new Alarm(this, id, {
      alarmName,
      alarmDescription: `${metric.metricName}: one run or more in five minutes`,
      metric: metric.with({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.props.operations.notify(alarm);
  }
}

/**
 * The role of every custom-flow state machine the API creates. It may
 * invoke only the actions a custom flow may use: the catalog entries with a
 * short name.
 */
export class CustomFlowRole extends Construct {
  readonly role: IRole;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: 'Runs custom flows: invokes only the custom-flow actions',
    });
  }

  /**
   * Allows invoking the custom-flow actions (those with a short name) and
   * the outcome recorder the system's wrapper around every custom flow calls.
   */
  allowInvoking(
    specs: readonly FunctionSpec[],
    functions: ReadonlyMap<string, IFunction>,
  ): void {
    const arns = specs
      .filter((spec) => CUSTOM_FLOW_FUNCTIONS.includes(spec.name))
      .flatMap((spec) => functions.get(spec.name)?.functionArn ?? []);
    if (arns.length > 0) allow(this.role, ['lambda:InvokeFunction'], arns);
  }
}
