import { createReadStream } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import {
  ALERT_FORMATS,
  type AlertDraft,
  type DraftResult,
} from './alert-drafts.js';
import { ANSWERS_COLUMNS, readAnswersRow } from './answers.js';
import { readCsvRows } from './csv.js';
import { looksLikeGraphAlert, readGraphAlert } from './graph.js';
import { looksLikeOffice365, readOffice365Record } from './office365.js';
import { ImportFileError, type ImportReport } from './report.js';

/*
 * The format of an alerts file is told from its content: JSON (an array,
 * Graph's `{ "value": [...] }`, or one record per line) holding Office 365
 * or Graph records, else a CSV whose header is the CERT answers header.
 * A JSON document is read whole; JSON lines and CSV are streamed.
 */

/** A record of a JSON alerts file and where it was, or why it is unreadable. */
type JsonRecord =
  | { readonly where: string; readonly value: unknown }
  | { readonly where: string; readonly reason: string };

/** What reading an alerts file gave: drafts, and how many rows failed. */
export interface AlertFile {
  readonly drafts: AlertDraft[];
  readonly rejected: number;
}

const SNIFF_BYTES = 64 * 1024;

const sniff = async (file: string): Promise<string> => {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(buffer, 0, SNIFF_BYTES, 0);

    return buffer
      .subarray(0, bytesRead)
      .toString('utf8')
      .replace(/^\uFEFF/, '');
  } finally {
    await handle.close();
  }
};

const unknownFormat = (file: string): ImportFileError =>
  new ImportFileError(
    `${file} is not an alerts file this import reads: give ` +
      `${ALERT_FORMATS.office365} or ${ALERT_FORMATS.graph} as JSON, or the ` +
      `${ALERT_FORMATS.certAnswers} CSV (${ANSWERS_COLUMNS.required.join(',')})`,
  );

/** A parsed value's records: Graph wraps them in `value`. */
const recordsOf = (value: unknown): unknown[] => {
  if (Array.isArray(value)) return value;
  const wrapped = (value as { value?: unknown } | null)?.value;

  return Array.isArray(wrapped) ? wrapped : [value];
};

const documentRecords = async (file: string): Promise<JsonRecord[]> => {
  const text = await readFile(file, 'utf8');
  let document: unknown;
  try {
    document = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new ImportFileError(
      `${file} is not valid JSON: ${(error as Error).message}`,
    );
  }

  return recordsOf(document).map((value, index) => ({
    where: `record ${index + 1}`,
    value,
  }));
};

async function* lineRecords(file: string): AsyncGenerator<JsonRecord> {
  const lines = createInterface({ input: createReadStream(file) });
  let line = 0;
  for await (const text of lines) {
    line += 1;
    if (text.trim() === '') continue;
    const where = `line ${line}`;
    try {
      const parsed: unknown = JSON.parse(text.replace(/^\uFEFF/, ''));
      for (const value of recordsOf(parsed)) yield { where, value };
    } catch (error) {
      yield { where, reason: `is not valid JSON: ${(error as Error).message}` };
    }
  }
}

const isJsonLines = (head: string): boolean => {
  const start = head.trimStart();
  if (!start.startsWith('{')) return false;
  try {
    JSON.parse(start.split('\n', 1)[0] ?? '');

    return true;
  } catch {
    return false;
  }
};

type RecordReader = (value: unknown, where: string) => DraftResult;

const readerFor = (file: string, value: unknown): RecordReader => {
  if (looksLikeOffice365(value)) return readOffice365Record;
  if (looksLikeGraphAlert(value)) return readGraphAlert;
  throw unknownFormat(file);
};

/** Collects drafts and counts rejections while a file is read. */
const collector = (file: string, report: ImportReport) => {
  const drafts: AlertDraft[] = [];
  let rejected = 0;

  return {
    add: (where: string, result: DraftResult) => {
      if ('draft' in result) {
        drafts.push(result.draft);

        return;
      }
      rejected += 1;
      report.rejected({ file, where, reason: result.reason });
    },
    result: (): AlertFile => ({ drafts, rejected }),
  };
};

const readJsonFile = async (
  file: string,
  head: string,
  report: ImportReport,
): Promise<AlertFile> => {
  const found = collector(file, report);
  const records = isJsonLines(head) ? lineRecords(file) : documentRecords(file);
  let reader: RecordReader | undefined;
  for await (const record of await records) {
    if ('reason' in record) {
      found.add(record.where, record);
      continue;
    }
    reader ??= readerFor(file, record.value);
    found.add(record.where, reader(record.value, record.where));
  }

  return found.result();
};

const isAnswersHeader = (head: string): boolean => {
  const header = (head.split(/\r?\n/, 1)[0] ?? '').toLowerCase().split(',');

  return ANSWERS_COLUMNS.required.every((name) =>
    header.map((column) => column.trim()).includes(name),
  );
};

const readAnswersFile = async (
  file: string,
  report: ImportReport,
): Promise<AlertFile> => {
  const found = collector(file, report);
  for await (const row of readCsvRows(file, ANSWERS_COLUMNS)) {
    const where = `line ${row.line}`;
    found.add(where, 'reason' in row ? row : readAnswersRow(row.fields, where));
  }

  return found.result();
};

/**
 * Reads an alerts file of any supported format into drafts, reporting
 * each row that cannot become one. A file of no known format fails whole.
 */
export const readAlertFile = async (
  file: string,
  report: ImportReport,
): Promise<AlertFile> => {
  const head = await sniff(file);
  if (head.trim() === '')
    throw new ImportFileError(`${file}: no rows to import`);
  const first = head.trimStart()[0];
  if (first === '[' || first === '{') return readJsonFile(file, head, report);
  if (isAnswersHeader(head)) return readAnswersFile(file, report);
  throw unknownFormat(file);
};
