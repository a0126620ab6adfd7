import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  StandardThreatProtectionMode,
  UserPool,
  type UserPoolClient,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLE_GROUPS } from '../functions/domain/model.js';

export interface StaffIdentityProps {
  /** Deployment name, part of the user pool's name. */
  readonly stage: string;
}

/**
 * Who may call the API: a Cognito user pool of insider risk staff, one group
 * per role group (the API reads them from the `cognito:groups` claim), and
 * one app client.
 *
 * Nobody signs up: an administrator creates every account. MFA is required,
 * with an authenticator app: the accounts read personnel data about people
 * under investigation, so a leaked password alone must not open them. The
 * Plus feature plan adds threat protection that blocks risky sign-ins.
 */
export class StaffIdentity extends Construct {
  readonly userPool: UserPool;
  /** The client whose tokens the API accepts. */
  readonly client: UserPoolClient;

  constructor(scope: Construct, id: string, props: StaffIdentityProps) {
    super(scope, id);

    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: `irm-${props.stage}-staff`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    for (const group of ROLE_GROUPS) {
      this.userPool.addGroup(group, { groupName: group });
    }

    this.client = this.userPool.addClient('ApiClient', {
      userPoolClientName: `irm-${props.stage}-api`,
      generateSecret: false,
      // SRP for applications; password auth lets operators get a token with
      // the AWS CLI (docs/deploy.md). Both still require the MFA code.
      authFlows: { userSrp: true, userPassword: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
    });
  }
}
