import { access, constants } from 'node:fs/promises';
import { ImportFileError } from './report.js';

/** Fails with an ImportFileError unless the file exists and is readable. */
export const assertReadable = async (file: string): Promise<void> => {
  try {
    await access(file, constants.R_OK);
  } catch {
    throw new ImportFileError(`${file}: no such file, or it cannot be read`);
  }
};
