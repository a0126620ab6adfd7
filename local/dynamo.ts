import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import {
  type IndexSpec,
  physicalTableName,
  TABLES,
  type TableSpec,
} from '../functions/domain/tables.js';
import { closeServer, listen } from './net.js';

export interface LocalDynamo {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1. With `path` the data is kept in that folder
 * (LevelDB) and survives restarts; without it, it lives in memory.
 */
export const startDynamo = async (options: {
  port: number;
  path?: string;
}): Promise<LocalDynamo> => {
  const server = dynalite({ path: options.path, createTableMs: 0 });
  await listen(server, options.port, 'DynamoDB (dynalite)');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => closeServer(server),
  };
};

const attributes = (spec: TableSpec) => {
  const keys = [
    spec.partitionKey,
    spec.sortKey,
    ...(spec.globalIndexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey]),
    ...(spec.localIndexes ?? []).flatMap((i) => [i.partitionKey, i.sortKey]),
  ].filter((key) => key !== undefined);
  const byName = new Map(keys.map((key) => [key.name, key.type]));

  return [...byName].map(([AttributeName, AttributeType]) => ({
    AttributeName,
    AttributeType,
  }));
};

const keySchema = (index: Pick<IndexSpec, 'partitionKey' | 'sortKey'>) => [
  { AttributeName: index.partitionKey.name, KeyType: 'HASH' as const },
  ...(index.sortKey
    ? [{ AttributeName: index.sortKey.name, KeyType: 'RANGE' as const }]
    : []),
];

/** The CreateTable request for a table spec: the same keys as on AWS. */
export const createTableInput = (
  stage: string,
  spec: TableSpec,
): CreateTableCommandInput => ({
  TableName: physicalTableName(stage, spec),
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: attributes(spec),
  KeySchema: keySchema(spec),
  GlobalSecondaryIndexes: spec.globalIndexes?.map((index) => ({
    IndexName: index.name,
    KeySchema: keySchema(index),
    Projection: { ProjectionType: 'ALL' },
  })),
  LocalSecondaryIndexes: spec.localIndexes?.map((index) => ({
    IndexName: index.name,
    KeySchema: keySchema(index),
    Projection: { ProjectionType: 'ALL' },
  })),
});

/** Creates every table of the data model that does not exist yet. */
export const ensureTables = async (
  endpoint: string,
  stage: string,
): Promise<void> => {
  const client = new DynamoDBClient({ endpoint });
  const existing = new Set<string>();
  let start: string | undefined;
  do {
    const page = await client.send(
      new ListTablesCommand({ ExclusiveStartTableName: start }),
    );
    for (const name of page.TableNames ?? []) existing.add(name);
    start = page.LastEvaluatedTableName;
  } while (start);
  for (const spec of Object.values(TABLES)) {
    if (existing.has(physicalTableName(stage, spec))) continue;
    await client.send(new CreateTableCommand(createTableInput(stage, spec)));
  }
  client.destroy();
};

/** Environment variables naming each table, as the CDK stack sets them. */
export const tableEnvironment = (stage: string): Record<string, string> =>
  Object.fromEntries(
    Object.values(TABLES).map((spec) => [
      spec.env,
      physicalTableName(stage, spec),
    ]),
  );
