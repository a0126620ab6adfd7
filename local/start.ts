import {
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { DEMO_ACCOUNTS } from './auth.js';
import {
  type LocalPortSettings,
  type LocalPorts,
  type LocalStack,
  startLocalStack,
} from './stack.js';

/*
 * `npm start`: the whole product on this machine, with demo data on the
 * first start. Settings come from the environment (see README,
 * Configuration).
 */

const DATA_DIR = resolve(process.env.IRM_DATA_DIR ?? '.local');

const port = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 65_535) {
    console.error(
      `${name} must be a port number from 0 to 65535, not "${raw}"`,
    );
    process.exit(2);
  }

  return value;
};

/** A duration in milliseconds from the environment, up to a day. */
const milliseconds = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 0 || value > 86_400_000) {
    console.error(
      `${name} must be milliseconds from 0 to 86400000, not "${raw}"`,
    );
    process.exit(2);
  }

  return value;
};

/** The variable that sets each port, named when the port is in use. */
const PORT_SETTINGS = {
  api: 'PORT',
  dynamodb: 'DYNAMODB_PORT',
  ses: 'SES_PORT',
  stepFunctions: 'STEPFUNCTIONS_PORT',
  serviceNow: 'SERVICENOW_PORT',
} as const satisfies LocalPortSettings;

const ports: LocalPorts = {
  api: port(PORT_SETTINGS.api, 3000),
  dynamodb: port(PORT_SETTINGS.dynamodb, 8000),
  ses: port(PORT_SETTINGS.ses, 8005),
  stepFunctions: port(PORT_SETTINGS.stepFunctions, 8083),
  serviceNow: port(PORT_SETTINGS.serviceNow, 8010),
};

/** Loads the demo organisation and flows once, on the first start. */
const loadDemoOnce = async (): Promise<void> => {
  const marker = join(DATA_DIR, 'demo-loaded');
  if (existsSync(marker)) return;
  const { loadDemoData } = await import('../scripts/import/demo.js');
  const { createDemoFlows } = await import('./demo-flows.js');
  const summary = await loadDemoData();
  await createDemoFlows();
  writeFileSync(marker, new Date().toISOString());
  console.log(`Demo data loaded: ${String(summary)}`);
};

const TOKEN_VARIABLES: Readonly<Record<string, string>> = {
  InsiderRiskManagement: 'IRM_TOKEN',
  InsiderRiskManagementAdmins: 'ADMIN_TOKEN',
  InsiderRiskManagementAnalysts: 'ANALYST_TOKEN',
  InsiderRiskManagementInvestigators: 'INVESTIGATOR_TOKEN',
  InsiderRiskManagementAuditors: 'AUDITOR_TOKEN',
  InsiderRiskManagementApprovers: 'APPROVER_TOKEN',
};

/** The shell variable holding a role group's token: `ANALYST_TOKEN`. */
const tokenVariable = (group: string): string =>
  TOKEN_VARIABLES[group] ?? 'TOKEN';

const writeTokens = (stack: LocalStack): string => {
  const file = join(DATA_DIR, 'tokens.env');
  const lines = DEMO_ACCOUNTS.map(
    (account) =>
      `export ${tokenVariable(account.group)}=${stack.tokens[account.group]}`,
  );
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });

  return file;
};

/** What the banner says of pseudonymisation, as the stored setting is. */
const privacyLines = (apiUrl: string, pseudonymised: boolean): string[] => {
  const change = [
    `  curl -s -X PUT -H "Authorization: Bearer $IRM_TOKEN" \\`,
    `    -H 'content-type: application/json' ${apiUrl}/settings/privacy \\`,
    `    -d '{"pseudonymise": ${String(!pseudonymised)}}'`,
  ];

  return pseudonymised
    ? [
        'Users are pseudonymised (the default): flows that email a user, a',
        'manager or HR stop until an admin turns it off, which is audited:',
        ...change,
      ]
    : [
        'Users are not pseudonymised: an admin turned it off (audited), so',
        'flows email users, managers and HR. To turn it back on:',
        ...change,
      ];
};

const printWelcome = (
  stack: LocalStack,
  tokensFile: string,
  pseudonymised: boolean,
): void => {
  const lines = [
    '',
    'Insider risk flows is running on this machine.',
    `  API             ${stack.apiUrl}`,
    `  Mailbox         ${stack.mailboxUrl}  (every email sent)`,
    `  Step Functions  ${stack.stepFunctionsUrl}`,
    `  DynamoDB        ${stack.dynamodbUrl}`,
    `  ServiceNow      ${stack.serviceNow.url}  (stand-in)`,
    '',
    'Bearer tokens (valid 12 hours), one demo person per role group:',
    ...DEMO_ACCOUNTS.map(
      (account) =>
        `  ${account.group} ($${tokenVariable(account.group)})\n` +
        `    ${stack.tokens[account.group]}`,
    ),
    '',
    `The same tokens as shell variables: source ${tokensFile}`,
    '',
    ...privacyLines(stack.apiUrl, pseudonymised),
    '',
    'Try:',
    `  source ${tokensFile}`,
    `  curl -s -H "Authorization: Bearer $ANALYST_TOKEN" ${stack.apiUrl}/cases`,
    `  curl -s -X POST -H "Authorization: Bearer $IRM_TOKEN" \\`,
    `    ${stack.apiUrl}/flows/flow-demo-notify-manager/runs \\`,
    `    -H 'content-type: application/json' -d '{"caseId":"<a case id>"}'`,
    '',
    'Press Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);

    return true;
  } catch {
    return false;
  }
};

/** Stops early when another `npm start` holds the same data folder. */
const refuseSecondStart = (stateFile: string): void => {
  if (!existsSync(stateFile)) return;
  const running = JSON.parse(readFileSync(stateFile, 'utf8')) as {
    pid?: number;
    apiUrl?: string;
  };
  if (running.pid && running.pid !== process.pid && isAlive(running.pid)) {
    console.error(
      `The local stack is already running (process ${running.pid}, API ` +
        `${running.apiUrl}) on the data in ${DATA_DIR}. Stop it first, or ` +
        'set IRM_DATA_DIR to another folder.',
    );
    process.exit(2);
  }
};

const main = async (): Promise<void> => {
  // The SDK warns on every client that Node 20 support ends in January 2027;
  // the README says so once, and Lambda runs Node 22 anyway.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  mkdirSync(DATA_DIR, { recursive: true });
  const stateFile = join(DATA_DIR, 'stack.json');
  refuseSecondStart(stateFile);
  const stack = await startLocalStack({
    ports,
    portSettings: PORT_SETTINGS,
    dataDir: DATA_DIR,
    waitOverrideMs: milliseconds('LOCAL_WAIT_MS', 30_000),
  });
  await loadDemoOnce();
  writeFileSync(
    stateFile,
    JSON.stringify({
      pid: process.pid,
      stage: 'local',
      apiUrl: stack.apiUrl,
      dynamodbEndpoint: stack.dynamodbUrl,
    }),
  );
  // Read after the stack set the environment the domain modules need.
  const { isPseudonymised } = await import('../functions/domain/privacy.js');
  printWelcome(stack, writeTokens(stack), await isPseudonymised());
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping...');
    rmSync(stateFile, { force: true });
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
};

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
