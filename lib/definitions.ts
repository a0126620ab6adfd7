import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALL_FUNCTIONS, substitutionName } from '../functions/catalog.js';

/** A template's state machine definition and the functions it calls. */
export interface TemplateDefinition {
  /** The ASL text, with `${…FunctionArn}` substitutions left in place. */
  readonly body: string;
  /** Catalog names of the functions the definition calls. */
  readonly functionNames: readonly string[];
}

/** The ASL file is missing, is not JSON, or names an unknown function. */
export class TemplateDefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateDefinitionError';
  }
}

const SUBSTITUTION = /\$\{([A-Za-z0-9_]+)\}/g;

/**
 * Reads an ASL file and finds the catalog functions it calls through its
 * definition substitutions, so that the state machine's role can invoke
 * those and no others.
 */
export const readTemplateDefinition = (
  dir: string,
  file: string,
): TemplateDefinition => {
  const path = join(dir, file);
  let body: string;
  try {
    body = readFileSync(path, 'utf8');
    JSON.parse(body);
  } catch (error) {
    throw new TemplateDefinitionError(
      `Cannot read the state machine definition ${path}: ${String(error)}`,
    );
  }

  const byName = new Map(
    ALL_FUNCTIONS.map((spec) => [substitutionName(spec.name), spec.name]),
  );
  const functionNames = new Set<string>();
  for (const [, substitution = ''] of body.matchAll(SUBSTITUTION)) {
    const name = byName.get(substitution);
    if (name === undefined) {
      throw new TemplateDefinitionError(
        `${file} uses \${${substitution}}, which is no function of the catalog`,
      );
    }
    functionNames.add(name);
  }

  return { body, functionNames: [...functionNames].sort() };
};
