import { type ImportOptions, parseImportArgs, USAGE } from './args.js';
import { formatSummary } from './counts.js';
import { assertReadable } from './files.js';
import { ImportFileError, streamReport } from './report.js';
import { ImportTargetError, openTarget } from './target.js';

/*
 * `npm run import`: see USAGE in args.ts. The repositories read their
 * settings when first imported, so they are imported (through run.js) only
 * after the target has set the environment.
 */

const EXIT_FAILED = 1;
const EXIT_BAD_INPUT = 2;

const isBadInput = (error: unknown): boolean =>
  error instanceof ImportFileError || error instanceof ImportTargetError;

const importInto = async (options: ImportOptions): Promise<void> => {
  const { files } = options;
  for (const file of [files.directory ?? [], files.alerts].flat()) {
    await assertReadable(file);
  }
  const startedAt = Date.now();
  const target = await openTarget(options.target, process.cwd());
  try {
    console.error(`Importing into ${target.description}`);
    const { runImport } = await import('./run.js');
    const counts = await runImport(files, streamReport(process.stderr));
    const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
    console.log(`${formatSummary(counts)} (${seconds} s)`);
  } finally {
    await target.close();
  }
};

const main = async (argv: readonly string[]): Promise<number> => {
  const parsed = parseImportArgs(argv, process.env.INIT_CWD ?? process.cwd());
  if ('help' in parsed) {
    console.log(USAGE);

    return 0;
  }
  if ('error' in parsed) {
    console.error(parsed.error);

    return EXIT_BAD_INPUT;
  }
  await importInto(parsed.options);

  return 0;
};

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (isBadInput(error)) {
      console.error((error as Error).message);
      process.exitCode = EXIT_BAD_INPUT;

      return;
    }
    console.error('Import failed:', error);
    process.exitCode = EXIT_FAILED;
  },
);
