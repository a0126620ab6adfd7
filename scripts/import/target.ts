import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import {
  DescribeTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { physicalTableName, TABLES } from '../../functions/domain/tables.js';
import {
  ensureTables,
  startDynamo,
  tableEnvironment,
} from '../../local/dynamo.js';
import { LOCAL_ALIAS_SECRET } from '../../local/secrets.js';
import type { ImportTarget } from './args.js';

/** The stage of the local stack. */
export const LOCAL_STAGE = 'local';

/** The local stack's data folder, from the repository root. */
/**
 * The local stack's data folder, as `npm start` chooses it: `IRM_DATA_DIR`,
 * else `.local` in the project.
 */
export const localDataRoot = (root: string): string =>
  resolve(root, process.env.IRM_DATA_DIR || '.local');

/** The file the local stack writes while it runs, from the repository root. */

/** The tables an import writes. */
const IMPORT_TABLES = [
  TABLES.users,
  TABLES.policies,
  TABLES.policyMembers,
  TABLES.alerts,
  TABLES.cases,
  TABLES.notes,
];

/** The tables of the target cannot be reached or do not exist. */
export class ImportTargetError extends Error {
  override name = 'ImportTargetError';
}

/** A target the repositories' environment now points at. */
export interface OpenTarget {
  /** Where the data goes, for the user to read. */
  readonly description: string;
  close(): Promise<void>;
}

const stackFile = z.object({
  pid: z.number().int().positive(),
  dynamodbEndpoint: z.url(),
  stage: z.string().min(1),
});

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);

    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** The running local stack, from the file it writes while it runs. */
export const runningStack = async (
  root: string,
): Promise<z.infer<typeof stackFile> | undefined> => {
  let content: unknown;
  try {
    content = JSON.parse(
      await readFile(join(localDataRoot(root), 'stack.json'), 'utf8'),
    );
  } catch {
    return undefined;
  }
  const parsed = stackFile.safeParse(content);

  return parsed.success && isAlive(parsed.data.pid) ? parsed.data : undefined;
};

/** Points the repositories, which read settings once, at a stage's tables. */
const useTables = (stage: string, endpoint: string | undefined) => {
  Object.assign(process.env, tableEnvironment(stage));
  if (endpoint === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
  else process.env.AWS_ENDPOINT_URL_DYNAMODB = endpoint;
};

/** Emulators accept any credentials, but the SDK wants some. */
const useLocalCredentials = (override: boolean) => {
  process.env.AWS_REGION ||= 'us-east-1';
  if (!override && process.env.AWS_ACCESS_KEY_ID) return;
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_SESSION_TOKEN;
};

const tableProblem = (error: unknown, stage: string): string => {
  if (error instanceof ResourceNotFoundException) {
    return `has no tables for stage ${stage}: check --stage (and the region)`;
  }
  const message = (error as Error).message;
  const hint = /region/i.test(message) ? '; set AWS_REGION' : '';

  return `cannot be read (${message}${hint})`;
};

const checkTables = async (stage: string, where: string) => {
  const client = new DynamoDBClient({});
  try {
    for (const spec of IMPORT_TABLES) {
      const name = physicalTableName(stage, spec);
      await client.send(new DescribeTableCommand({ TableName: name }));
    }
  } catch (error) {
    throw new ImportTargetError(`${where} ${tableProblem(error, stage)}`);
  } finally {
    client.destroy();
  }
};

interface LevelDatabase {
  open(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Fails unless the folder's database can be opened. LevelDB allows one
 * process per folder, and dynalite, given a folder in use, crashes on its
 * first request instead of reporting it: so the folder is tried first with
 * the same `level` module that dynalite uses.
 */
const assertFolderFree = async (path: string): Promise<void> => {
  const fromRoot = createRequire(join(process.cwd(), 'package.json'));
  const fromDynalite = createRequire(fromRoot.resolve('dynalite'));
  const { Level } = fromDynalite('level') as {
    Level: new (path: string) => LevelDatabase;
  };
  const database = new Level(path);
  try {
    await database.open();
  } catch {
    throw new ImportTargetError(
      `The data folder ${path} is in use by another program (the local ` +
        'stack starting up?): try again once it runs, or give another --data-dir',
    );
  }
  await database.close();
};

const openDataDir = async (
  path: string,
  stage: string,
): Promise<OpenTarget> => {
  await mkdir(path, { recursive: true });
  await assertFolderFree(path);
  const dynamo = await startDynamo({ port: 0, path });
  try {
    await ensureTables(dynamo.url, stage);
  } catch (error) {
    await dynamo.close();
    throw error;
  }
  useTables(stage, dynamo.url);

  return { description: `the local data in ${path}`, close: dynamo.close };
};

const openLocal = async (
  target: Extract<ImportTarget, { kind: 'local' }>,
  root: string,
): Promise<OpenTarget> => {
  useLocalCredentials(true);
  // Users are stored with their alias, keyed as the local stack keys it.
  process.env.ALIAS_SECRET ||= LOCAL_ALIAS_SECRET;
  const stack = target.dataDir ? undefined : await runningStack(root);
  if (stack === undefined) {
    const path = target.dataDir ?? join(localDataRoot(root), 'dynamodb');

    return openDataDir(path, target.stage ?? LOCAL_STAGE);
  }
  const stage = target.stage ?? stack.stage;
  useTables(stage, stack.dynamodbEndpoint);
  await checkTables(stage, `The local stack at ${stack.dynamodbEndpoint}`);

  return {
    description: `the running local stack (${stack.dynamodbEndpoint})`,
    close: async () => undefined,
  };
};

/**
 * Points the repositories at the target's tables, through the environment
 * they read when first imported: call it before importing them. With no
 * running local stack, dynalite is started on the local data folder for
 * the length of the import.
 */
export const openTarget = async (
  target: ImportTarget,
  root: string,
): Promise<OpenTarget> => {
  if (target.kind === 'local') return openLocal(target, root);
  const endpoint = target.kind === 'endpoint' ? target.endpoint : undefined;
  if (endpoint) useLocalCredentials(false);
  useTables(target.stage, endpoint);
  const where = endpoint ?? 'AWS';
  await checkTables(target.stage, `DynamoDB at ${where}`);

  return {
    description: `the ${target.stage} tables at ${where}`,
    close: async () => undefined,
  };
};
