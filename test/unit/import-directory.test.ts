import { resolve } from 'node:path';
import { readCsvRows } from '../../scripts/import/csv.js';
import {
  DIRECTORY_COLUMNS,
  type DirectoryEntry,
  emptyPeopleIndex,
  indexPerson,
  readDirectoryRow,
  resolveManager,
} from '../../scripts/import/directory-rows.js';

const fixture = (name: string) => resolve('test', 'fixtures', 'import', name);

const readAll = async (name: string) => {
  const rows = [];
  for await (const row of readCsvRows(fixture(name), DIRECTORY_COLUMNS)) {
    rows.push(row);
  }

  return rows;
};

const person = (
  userId: string,
  displayName: string,
  supervisor?: string,
): DirectoryEntry => ({
  userId,
  displayName,
  email: `${userId}@fabrikam.example`,
  supervisor,
});

describe('readCsvRows on a directory export', () => {
  it('numbers rows by their line in the file', async () => {
    // Act
    const rows = await readAll('directory.csv');

    // Assess
    expect(rows[0]).toEqual(
      expect.objectContaining({
        line: 2,
        fields: expect.objectContaining({ user_id: 'RIV0101' }),
      }),
    );
    expect(rows.map((row) => row.line)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('reports a row with too few fields by its line number', async () => {
    // Act
    const rows = await readAll('directory.csv');

    // Assess
    expect(rows.find((row) => row.line === 6)).toEqual({
      line: 6,
      reason: 'expected 9 fields as in the header, found 3',
    });
  });

  it('reads the projects column of the r5.2 layout', async () => {
    // Act
    const rows = await readAll('directory-projects.csv');

    // Assess
    const second = rows[1];
    const read =
      second && 'fields' in second && readDirectoryRow(second.fields);
    expect(read).toEqual({
      entry: expect.objectContaining({
        userId: 'UFB0201',
        projects: 'Project 7',
        supervisor: 'Tess Amber Quinn',
      }),
    });
  });

  it('fails the whole file when the header lacks columns', async () => {
    // Act
    const reading = readAll('directory-bad-header.csv');

    // Assess
    await expect(reading).rejects.toThrow(
      /lacks employee_name, user_id, email.*must name the columns/,
    );
  });
});

describe('readDirectoryRow', () => {
  const row = {
    employee_name: ' Zoë Ångström-Núñez ',
    user_id: 'ZAN0106',
    email: 'zoe.angstrom@fabrikam.example',
    role: 'Engineer',
    business_unit: '1',
    functional_unit: '2 - Engineering',
    department: '1 - Software',
    team: '',
    supervisor: 'Jin Soo Park',
  };

  it('maps the CERT columns onto the user', () => {
    // Act
    const read = readDirectoryRow(row);

    // Assess
    expect(read).toEqual({
      entry: {
        userId: 'ZAN0106',
        displayName: 'Zoë Ångström-Núñez',
        email: 'zoe.angstrom@fabrikam.example',
        jobTitle: 'Engineer',
        businessUnit: '1',
        functionalUnit: '2 - Engineering',
        department: '1 - Software',
        team: undefined,
        projects: undefined,
        supervisor: 'Jin Soo Park',
      },
    });
  });

  it('names every column at fault in a bad row', () => {
    // Act
    const read = readDirectoryRow({
      ...row,
      user_id: 'has space',
      email: 'nope',
    });

    // Assess
    expect(read).toEqual({
      reason:
        'user_id must not contain spaces, #, /, \\ or ?; ' +
        'email is not an email address',
    });
  });
});

describe('resolveManager', () => {
  const index = emptyPeopleIndex();
  indexPerson(index, person('OTH0100', 'Omar Tariq Haddad'));
  indexPerson(index, person('AKL0001', 'Alex Kim Lee'));
  indexPerson(index, person('AKL0002', 'Alex Kim Lee'));
  const stored = new Map([
    ['old0001', ['OLD0001']],
    ['zoë ångström-núñez', ['ZAN0106']],
    ['sam lee', ['SLE0001', 'SLE0002']],
  ]);

  it.each([
    ['a display name in the file', 'omar tariq haddad', 'OTH0100'],
    ['a user id in the file', 'oth0100', 'OTH0100'],
    ['a user id already stored', 'OLD0001', 'OLD0001'],
    ['a display name already stored', 'Zoë Ångström-Núñez', 'ZAN0106'],
  ])('finds a manager by %s', (_, supervisor, managerId) => {
    // Act
    const resolution = resolveManager(
      person('NEW0001', 'New Person', supervisor),
      index,
      stored,
    );

    // Assess
    expect(resolution).toEqual({ managerId });
  });

  it('leaves the manager out when the supervisor is unknown', () => {
    // Act
    const resolution = resolveManager(
      person('NEW0001', 'New Person', 'Nobody Known Here'),
      index,
      stored,
    );

    // Assess
    expect(resolution.managerId).toBeUndefined();
    expect(resolution.problem).toMatch(/"Nobody Known Here" is neither/);
  });

  it('refuses a display name that two people share', () => {
    // Act
    const resolution = resolveManager(
      person('NEW0001', 'New Person', 'Alex Kim Lee'),
      index,
      stored,
    );

    // Assess
    expect(resolution.problem).toMatch(/names 2 people.*user id instead/);
  });

  it('refuses a stored display name that two people share', () => {
    // Act
    const resolution = resolveManager(
      person('NEW0001', 'New Person', 'Sam Lee'),
      index,
      stored,
    );

    // Assess
    expect(resolution).toEqual({
      problem: expect.stringMatching(
        /"Sam Lee" names 2 people in the directory.*user id instead/,
      ),
    });
  });

  it('refuses a user who supervises themself', () => {
    // Act
    const resolution = resolveManager(
      person('OTH0100', 'Omar Tariq Haddad', 'Omar Tariq Haddad'),
      index,
      stored,
    );

    // Assess
    expect(resolution).toEqual({
      problem: 'the user is their own supervisor; loaded without a manager',
    });
  });

  it('gives no manager and no problem for an empty supervisor', () => {
    // Act
    const resolution = resolveManager(
      person('HLM0001', 'Chief'),
      index,
      stored,
    );

    // Assess
    expect(resolution).toEqual({});
  });
});
