import { afterAll, describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  type IndexSpec,
  type KeySpec,
  TABLES,
  type TableSpec,
} from '../../functions/domain/tables.js';
import { DataTables } from '../../lib/data.js';
import { useScratchTmpdir } from './stack-fixture.js';

const cleanTmpdir = useScratchTmpdir();
afterAll(cleanTmpdir);

const stack = new Stack(new App(), 'Data');
new DataTables(stack, 'Data', { stage: 'test' });
const template = Template.fromStack(stack);
const specs: TableSpec[] = Object.values(TABLES);

const keySchema = (partitionKey: KeySpec, sortKey?: KeySpec) => [
  { AttributeName: partitionKey.name, KeyType: 'HASH' },
  ...(sortKey ? [{ AttributeName: sortKey.name, KeyType: 'RANGE' }] : []),
];

const indexes = (list: readonly IndexSpec[] | undefined) =>
  (list ?? []).map((index) => ({
    IndexName: index.name,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: { ProjectionType: 'ALL' },
  }));

const tableNamed = (spec: TableSpec) => {
  const [table] = Object.values(
    template.findResources('AWS::DynamoDB::Table', {
      Properties: { TableName: `irm-test-${spec.id}` },
    }),
  );
  if (table === undefined) throw new Error(`No table ${spec.id}`);

  return table as {
    Properties: Record<string, unknown>;
    DeletionPolicy?: string;
  };
};

describe('DataTables', () => {
  it('creates one table per table of the data model', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', specs.length);
  });

  it.each(specs.map((spec) => [spec.id, spec] as const))(
    'gives %s its keys and indexes',
    (_id, spec) => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: `irm-test-${spec.id}`,
        KeySchema: keySchema(spec.partitionKey, spec.sortKey),
        GlobalSecondaryIndexes: spec.globalIndexes
          ? indexes(spec.globalIndexes)
          : Match.absent(),
        LocalSecondaryIndexes: spec.localIndexes
          ? indexes(spec.localIndexes)
          : Match.absent(),
      });
    },
  );

  it.each(specs.map((spec) => [spec.id, spec] as const))(
    'makes %s on-demand, encrypted and recoverable to a point in time',
    (_id, spec) => {
      const { Properties } = tableNamed(spec);

      expect(Properties.BillingMode).toBe('PAY_PER_REQUEST');
      expect(Properties.SSESpecification).toEqual({ SSEEnabled: true });
      expect(Properties.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
      });
    },
  );

  it.each(specs.map((spec) => [spec.id, spec] as const))(
    'retains and protects %s only when it is critical',
    (_id, spec) => {
      const table = tableNamed(spec);

      expect(table.DeletionPolicy).toBe(spec.critical ? 'Retain' : 'Delete');
      expect(table.Properties.DeletionProtectionEnabled).toBe(spec.critical);
    },
  );

  it('retains the tables of cases, notes, flows and audit', () => {
    const retained = ['cases', 'notes', 'flows', 'audit'].map(
      (id) => tableNamed({ ...TABLES.cases, id }).DeletionPolicy,
    );

    expect(retained).toEqual(['Retain', 'Retain', 'Retain', 'Retain']);
  });

  it.each(specs.map((spec) => [spec.id, spec] as const))(
    'sets the TTL attribute and stream of %s from the model',
    (_id, spec) => {
      const { Properties } = tableNamed(spec);

      expect(Properties.TimeToLiveSpecification).toEqual(
        spec.ttlAttribute
          ? { AttributeName: spec.ttlAttribute, Enabled: true }
          : undefined,
      );
      expect(Properties.StreamSpecification).toEqual(
        spec.stream ? { StreamViewType: 'NEW_AND_OLD_IMAGES' } : undefined,
      );
    },
  );
});
