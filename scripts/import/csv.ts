import { createReadStream } from 'node:fs';
import { type CsvError, parse } from 'csv-parse';
import { ImportFileError } from './report.js';

/** One data row of a CSV file, by lower-case column name. */
export interface CsvRow {
  /** Line number in the file (the header is line 1). */
  readonly line: number;
  readonly fields: Readonly<Record<string, string>>;
}

/** A line of a CSV file that is not a readable row, and why. */
export interface CsvProblem {
  readonly line: number;
  readonly reason: string;
}

/** The columns a CSV file must have, and those it may have. */
export interface CsvColumns {
  readonly required: readonly string[];
  readonly optional?: readonly string[];
}

const checkHeader = (file: string, columns: CsvColumns) => {
  return (header: string[]): string[] => {
    const names = header.map((name) => name.trim().toLowerCase());
    const missing = columns.required.filter((name) => !names.includes(name));
    if (missing.length > 0) {
      throw new ImportFileError(
        `${file}: the header row lacks ${missing.join(', ')}; ` +
          `it must name the columns ${columns.required.join(',')}`,
      );
    }

    return names;
  };
};

const skipReason = (error: CsvError | undefined): string => {
  if (error?.code === 'CSV_RECORD_INCONSISTENT_COLUMNS') {
    const expected = Array.isArray(error.columns) ? error.columns.length : 0;
    const found = Array.isArray(error.record) ? error.record.length : 0;

    return `expected ${expected} fields as in the header, found ${found}`;
  }
  if (error?.code === 'CSV_QUOTE_NOT_CLOSED') {
    return 'a quote opened here is never closed; the rest of the file is lost';
  }

  return error?.message ?? 'unreadable row';
};

/**
 * Streams the rows of a CSV file with a header row. A malformed row comes
 * out as a problem with its line number, and reading goes on; a header
 * without the required columns, or a file with no row under its header (or
 * nothing at all), fails the whole file.
 */
export async function* readCsvRows(
  file: string,
  columns: CsvColumns,
): AsyncGenerator<CsvRow | CsvProblem> {
  const skipped: CsvProblem[] = [];
  const source = createReadStream(file);
  const parser = source.pipe(
    parse({
      bom: true,
      columns: checkHeader(file, columns),
      info: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_skip: (error) => {
        const line = typeof error?.lines === 'number' ? error.lines : 0;
        skipped.push({ line, reason: skipReason(error) });
      },
    }),
  );
  source.on('error', (error) => parser.destroy(error));
  let rows = 0;
  for await (const { record, info } of parser) {
    rows += 1;
    // The parser may run ahead of this loop: keep problems in line order.
    while (skipped[0] && skipped[0].line < info.lines) {
      yield skipped[0];
      skipped.shift();
    }
    yield { line: info.lines, fields: record as Record<string, string> };
  }
  if (rows + skipped.length === 0) {
    throw new ImportFileError(`${file}: no rows to import`);
  }
  yield* skipped;
}
