import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readAlertFile } from '../../scripts/import/alert-files.js';
import {
  POLICY_TEMPLATES,
  templateFromName,
  UNKNOWN_TEMPLATE,
} from '../../scripts/import/policies.js';
import { collectingReport } from '../../scripts/import/report.js';

const scratch = mkdtempSync(join(tmpdir(), 'import-formats-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const write = (name: string, content: string): string => {
  const file = join(scratch, name);
  writeFileSync(file, content);

  return file;
};

describe('readAlertFile', () => {
  it('fails a file of no known format, naming the formats it reads', async () => {
    // Prepare
    const file = resolve('test', 'fixtures', 'import', 'not-alerts.txt');

    // Act
    const reading = readAlertFile(file, collectingReport());

    // Assess
    await expect(reading).rejects.toThrow(
      /is not an alerts file this import reads.*Office 365.*Graph.*answers CSV/,
    );
  });

  it('fails a JSON document that does not parse', async () => {
    // Prepare
    const file = write('broken.json', '[{"AlertId": "x",');

    // Act
    const reading = readAlertFile(file, collectingReport());

    // Assess
    await expect(reading).rejects.toThrow(/broken.json is not valid JSON/);
  });

  it('fails JSON records that are neither Office 365 nor Graph', async () => {
    // Prepare
    const file = write('other.json', '[{"name": "something else"}]');

    // Act
    const reading = readAlertFile(file, collectingReport());

    // Assess
    await expect(reading).rejects.toThrow(/is not an alerts file/);
  });

  it('reads an empty JSON array as no alerts', async () => {
    // Prepare
    const file = write('empty.json', '[]\n');

    // Act
    const read = await readAlertFile(file, collectingReport());

    // Assess
    expect(read).toEqual({ drafts: [], rejected: 0 });
  });

  it('reads an answers file whose header has a byte order mark', async () => {
    // Prepare
    const file = write(
      'bom.csv',
      '\uFEFFdataset,scenario,details,user,start,end\n' +
        '4.2,1,r.csv,ABC0001,1/2/2010 3:04:05,1/3/2010 3:04:05\n',
    );

    // Act
    const read = await readAlertFile(file, collectingReport());

    // Assess
    expect(read.drafts).toHaveLength(1);
  });
});

describe('templateFromName', () => {
  it.each([
    [
      'Data leaks by priority users (R&D <Tier 1>)',
      'Data leaks by priority users',
    ],
    ['general data leaks', 'General data leaks'],
    [
      'EMEA security policy violations by departing users',
      'Security policy violations by departing users',
    ],
    ['Quarterly review', UNKNOWN_TEMPLATE],
  ])('finds the template of %p', (name, template) => {
    // Act
    const found = templateFromName(name);

    // Assess
    expect(found).toBe(template);
  });

  it('knows the six templates of the domain', () => {
    // Assess
    expect(POLICY_TEMPLATES).toHaveLength(6);
  });
});
