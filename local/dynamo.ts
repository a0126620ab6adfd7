import type { AddressInfo } from 'node:net';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
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

/** Thrown when kept data predates an index the code needs. */
export class OutdatedDataError extends Error {
  override name = 'OutdatedDataError';
}

/**
 * dynalite cannot add an index to a table, so data kept from an earlier
 * version that lacks one is reported rather than failing on first use.
 */
const checkIndexes = async (
  client: DynamoDBClient,
  name: string,
  spec: TableSpec,
): Promise<void> => {
  const { Table } = await client.send(
    new DescribeTableCommand({ TableName: name }),
  );
  const present = new Set(
    [
      ...(Table?.GlobalSecondaryIndexes ?? []),
      ...(Table?.LocalSecondaryIndexes ?? []),
    ].map((index) => index.IndexName),
  );
  const wanted = [...(spec.globalIndexes ?? []), ...(spec.localIndexes ?? [])];
  const missing = wanted.find((index) => !present.has(index.name));
  if (missing) {
    throw new OutdatedDataError(
      `The local data was made by an earlier version: table ${name} lacks ` +
        `the index ${missing.name}. Delete the data folder (.local by ` +
        'default) to start again from the demo data.',
    );
  }
};

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
  try {
    for (const spec of Object.values(TABLES)) {
      const name = physicalTableName(stage, spec);
      if (existing.has(name)) await checkIndexes(client, name, spec);
      else
        await client.send(
          new CreateTableCommand(createTableInput(stage, spec)),
        );
    }
  } finally {
    client.destroy();
  }
};

/** Environment variables naming each table, as the CDK stack sets them. */
export const tableEnvironment = (stage: string): Record<string, string> =>
  Object.fromEntries(
    Object.values(TABLES).map((spec) => [
      spec.env,
      physicalTableName(stage, spec),
    ]),
  );
