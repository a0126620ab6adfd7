import type { Construct } from 'constructs';

/** Everything that differs between deployments, read from CDK context. */
export interface DeployParameters {
  /**
   * Name of the deployment in every resource name (`irm-<stage>-…`):
   * lowercase letters and digits only, so that one stage's name prefix can
   * never match another stage's resources.
   */
  readonly stage: string;
  /** From address of every email the flows send. */
  readonly senderAddress: string;
  /**
   * What SES verifies: the sender `address` alone (one confirmation email),
   * or its whole `domain` (DKIM records in DNS). Defaults to `address`.
   */
  readonly senderIdentity: 'address' | 'domain';
  /** Base URL of the public response pages that emails link to. */
  readonly publicBaseUrl: string;
  /** Browser origins allowed to call the API (CORS). */
  readonly allowedOrigins: readonly string[];
  /** Name of the Secrets Manager secret holding ServiceNow credentials. */
  readonly serviceNowSecretName: string;
  /** ServiceNow instance, e.g. `https://contoso.service-now.com`. */
  readonly serviceNowInstanceUrl: string;
  /** Address subscribed to the alarm topic; none when omitted. */
  readonly alarmEmail?: string;
}

/** A deploy parameter is missing or malformed. */
export class DeployParameterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployParameterError';
  }
}

const REQUIRED = [
  'stage',
  'senderAddress',
  'publicBaseUrl',
  'allowedOrigins',
  'serviceNowSecretName',
  'serviceNowInstanceUrl',
] as const;

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s]+$/;
const STAGE = /^[a-z][a-z0-9]{1,11}$/;

/**
 * Reads and validates the deploy parameters from CDK context (`-c name=value`
 * or `cdk.json`). Every problem is reported at once, each by its name.
 */
export const readDeployParameters = (scope: Construct): DeployParameters => {
  const text = (name: string): string | undefined => {
    const value: unknown = scope.node.tryGetContext(name);
    if (Array.isArray(value)) return value.join(',');

    return typeof value === 'string' && value.trim() !== ''
      ? value.trim()
      : undefined;
  };

  const missing = REQUIRED.filter((name) => text(name) === undefined);
  if (missing.length > 0) {
    throw new DeployParameterError(
      `Missing deploy parameters: ${missing.join(', ')}. Pass each with ` +
        '-c name=value (docs/deploy.md lists them all).',
    );
  }

  const parameters: DeployParameters = {
    stage: text('stage') ?? '',
    senderAddress: text('senderAddress') ?? '',
    senderIdentity: text('senderIdentity') === 'domain' ? 'domain' : 'address',
    publicBaseUrl: (text('publicBaseUrl') ?? '').replace(/\/+$/, ''),
    allowedOrigins: (text('allowedOrigins') ?? '')
      .split(',')
      .map((origin) => origin.trim())
      .filter(Boolean),
    serviceNowSecretName: text('serviceNowSecretName') ?? '',
    serviceNowInstanceUrl: (text('serviceNowInstanceUrl') ?? '').replace(
      /\/+$/,
      '',
    ),
    alarmEmail: text('alarmEmail'),
  };
  const problems = findProblems(parameters, text('senderIdentity'));
  if (problems.length > 0) {
    throw new DeployParameterError(
      `Invalid deploy parameters: ${problems.join('; ')}`,
    );
  }

  return parameters;
};

const findProblems = (
  parameters: DeployParameters,
  senderIdentity: string | undefined,
): string[] => {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };

  check(
    STAGE.test(parameters.stage),
    'stage must be 2 to 12 lowercase letters or digits, starting with a letter',
  );
  check(
    EMAIL.test(parameters.senderAddress),
    'senderAddress must be an email address',
  );
  check(
    senderIdentity === undefined ||
      ['address', 'domain'].includes(senderIdentity),
    'senderIdentity must be address or domain',
  );
  check(
    isHttpsUrl(parameters.publicBaseUrl),
    'publicBaseUrl must be an https URL',
  );
  check(
    parameters.allowedOrigins.length > 0 &&
      parameters.allowedOrigins.every(isOrigin),
    'allowedOrigins must be a comma list of origins such as https://irm.example.com',
  );
  check(
    isHttpsUrl(parameters.serviceNowInstanceUrl),
    'serviceNowInstanceUrl must be an https URL',
  );
  check(
    parameters.alarmEmail === undefined || EMAIL.test(parameters.alarmEmail),
    'alarmEmail must be an email address',
  );

  return problems;
};

const parseUrl = (value: string): URL | undefined => {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
};

const isHttpsUrl = (value: string): boolean =>
  parseUrl(value)?.protocol === 'https:';

/** An origin has no path; plain http is allowed for a local UI only. */
const isOrigin = (value: string): boolean => {
  const url = parseUrl(value);
  if (url === undefined || url.origin !== value) return false;
  const local = ['localhost', '127.0.0.1'].includes(url.hostname);

  return url.protocol === 'https:' || (local && url.protocol === 'http:');
};
