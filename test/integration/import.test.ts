import { resolve } from 'node:path';
import {
  ensureTables,
  type LocalDynamo,
  startDynamo,
  tableEnvironment,
} from '../../local/dynamo.js';
import type { ImportCounts } from '../../scripts/import/counts.js';
import { collectingReport } from '../../scripts/import/report.js';

/*
 * Imports into dynalite in memory: the demo data set and small fixtures of
 * our own. The CERT extract in ../shared is checked by `npm run check:cert`
 * (its licence keeps it out of the repository, so a clone may not have it).
 * The repositories read the endpoint when first imported, so they are
 * imported after it is set.
 */

let dynamo: LocalDynamo;

const useStage = (stage: string) =>
  Object.assign(process.env, tableEnvironment(stage));

beforeAll(async () => {
  dynamo = await startDynamo({ port: 0 });
  await ensureTables(dynamo.url, 'demo');
  await ensureTables(dynamo.url, 'fixture');
  process.env.AWS_ENDPOINT_URL_DYNAMODB = dynamo.url;
});

afterAll(async () => {
  await dynamo.close();
});

const importDemo = async () => {
  const { importDemoData } = await import('../../scripts/import/demo.js');
  const report = collectingReport();
  const counts = await importDemoData(report);

  return { counts, report };
};

const nothingNew = (counts: ImportCounts) => [
  counts.users,
  counts.policies,
  counts.alerts,
  counts.cases,
  counts.memberships,
];

describe('importing the demo data set', () => {
  beforeAll(() => useStage('demo'));

  it('loads the organisation, its policies, alerts and cases', async () => {
    // Act
    const { counts, report } = await importDemo();

    // Assess
    expect(counts).toEqual(
      expect.objectContaining({
        users: 50,
        usersWithManager: 48,
        policies: 5,
        alerts: 25,
        cases: 7,
        memberships: 2,
        rejected: 0,
      }),
    );
    expect(report.warnings).toEqual([
      expect.objectContaining({
        where: 'line 50',
        reason: expect.stringMatching(/"Morgan Blake Hale"/),
      }),
    ]);
  });

  it('changes nothing when imported again', async () => {
    // Act
    const { counts } = await importDemo();

    // Assess
    expect(nothingNew(counts)).toEqual([0, 0, 0, 0, 0]);
    expect(counts.unchanged).toEqual({
      users: 50,
      policies: 5,
      alerts: 25,
      cases: 7,
      memberships: 2,
    });
  });

  it('files the alerts of one user in one case', async () => {
    // Prepare
    const { getUser } = await import('../../functions/domain/directory.js');
    const { countCaseAlerts, getCase } = await import(
      '../../functions/domain/cases.js'
    );
    const user = await getUser('ZAN0007');

    // Act
    const caseId = user?.activeCaseId ?? '';
    const found = await getCase(caseId);
    const alerts = await countCaseAlerts(caseId);

    // Assess
    expect(found).toEqual(
      expect.objectContaining({
        name: 'Data leaks by priority users (R&D <Tier 1>) (opened 2026-10-05)',
        status: 'Active',
        openedAt: '2026-10-05T08:12:40.000Z',
        updatedAt: '2026-10-21T19:47:02.000Z',
      }),
    );
    expect(alerts).toBe(3);
  });

  it('resolves managers named by display name and by user id', async () => {
    // Prepare
    const { getUsers } = await import('../../functions/domain/directory.js');

    // Act
    const users = await getUsers(['DKM0008', 'ALP0050', 'HLM0001']);

    // Assess
    expect(users.get('DKM0008')?.managerId).toBe('ZAN0007');
    expect(users.get('ALP0050')?.managerId).toBe('IMD0029');
    expect(users.get('HLM0001')?.managerId).toBeUndefined();
  });
});

describe('importing every format for the same people', () => {
  const fixture = (name: string) => resolve('test', 'fixtures', 'import', name);

  beforeAll(() => useStage('fixture'));

  const importFixtures = async () => {
    const { runImport } = await import('../../scripts/import/run.js');
    const report = collectingReport();
    const files = {
      directory: fixture('directory.csv'),
      alerts: [
        fixture('o365-alerts.json'),
        fixture('graph-alerts.json'),
        fixture('answers.csv'),
      ],
    };

    return { counts: await runImport(files, report), report };
  };

  it('loads the good rows and reports the bad ones by line', async () => {
    // Act
    const { counts, report } = await importFixtures();

    // Assess
    expect(counts).toEqual(
      expect.objectContaining({
        users: 5,
        usersWithManager: 3,
        policies: 5,
        alerts: 6,
        cases: 2,
        rejected: 3 + 3 + 3 + 2,
      }),
    );
    expect(
      report.rejections
        .filter((problem) => problem.file.endsWith('directory.csv'))
        .map((problem) => problem.where),
    ).toEqual(['line 5', 'line 6', 'line 8']);
  });

  it("files confirmed alerts from every format in the user's active case", async () => {
    // Prepare
    const { getUser } = await import('../../functions/domain/directory.js');
    const { countCaseAlerts } = await import('../../functions/domain/cases.js');

    // Act
    const jin = await getUser('JSP0102');
    const alerts = await countCaseAlerts(jin?.activeCaseId ?? '');

    // Assess
    expect(alerts).toBe(3);
  });

  it('keeps the risk level and active case of a user imported again', async () => {
    // Prepare
    const { dynamo: client } = await import(
      '../../functions/domain/clients.js'
    );
    const { UpdateCommand } = await import('@aws-sdk/lib-dynamodb');
    const { getUser } = await import('../../functions/domain/directory.js');
    await client.send(
      new UpdateCommand({
        TableName: process.env.USERS_TABLE,
        Key: { userId: 'RIV0101' },
        UpdateExpression: 'SET riskLevel = :level',
        ExpressionAttributeValues: { ':level': 'elevated' },
      }),
    );

    // Act
    const { counts } = await importFixtures();

    // Assess
    const rosa = await getUser('RIV0101');
    expect(rosa?.riskLevel).toBe('elevated');
    expect(rosa?.activeCaseId).toBeDefined();
    expect(nothingNew(counts)).toEqual([0, 0, 0, 0, 0]);
  });
});
