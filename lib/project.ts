import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Folders of the project. The CDK CLI and Jest both run from the project
 * root (the folder holding `cdk.json` and `jest.config.js`), so the working
 * directory is the root; the check below fails early anywhere else.
 */
export const projectRoot = (): string => {
  const root = process.cwd();
  if (!existsSync(join(root, 'functions', 'catalog.ts'))) {
    throw new Error(
      `Run the CDK app from the project root: ${root} has no functions/catalog.ts`,
    );
  }

  return root;
};

/** Folder of the Lambda handler files, one `<name>.ts` per function. */
export const functionsDir = (): string => join(projectRoot(), 'functions');

/** Folder of the template state machine files. */
export const stateMachinesDir = (): string =>
  join(projectRoot(), 'statemachines');

/** `get-case` → `GetCase`, for construct ids. */
export const pascalCase = (kebab: string): string =>
  kebab
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
