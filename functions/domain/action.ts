import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { type FieldProblem, InvalidInputError } from './errors.js';
import { logger } from './logger.js';

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'an array',
};

const COUNTED = new Set(['string', 'array', 'set']);

const sizeWords = (
  origin: string,
  bound: number | bigint,
  side: 'least' | 'most',
): string => {
  if (origin === 'string') return `must be at ${side} ${bound} characters`;
  if (origin === 'array' || origin === 'set') {
    return `must have at ${side} ${bound} items`;
  }

  return `must be at ${side} ${bound}`;
};

/**
 * Zod's generic wording for the common problems, in plain words. Passed to
 * `safeParse`, it yields to any message a schema states itself.
 */
export const plainWords: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined
        ? 'is required'
        : `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case 'too_small':
      return COUNTED.has(issue.origin) && Number(issue.minimum) === 1
        ? 'must not be empty'
        : sizeWords(issue.origin, issue.minimum, 'least');
    case 'too_big':
      return sizeWords(issue.origin, issue.maximum, 'most');
    case 'invalid_value':
      return issue.values.length === 1
        ? `must be ${String(issue.values[0])}`
        : `must be one of: ${issue.values.map(String).join(', ')}`;
    default:
      return undefined;
  }
};

/** A field problem, and whether it is a whole instruction to the caller. */
interface Described extends FieldProblem {
  readonly instruction: boolean;
}

const describeIssue = (issue: z.core.$ZodIssue, root: string): Described[] => {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => {
      const field = [...issue.path, key].join('.');
      const problem = `Remove the unknown field ${field}`;

      return { field, problem, instruction: true };
    });
  }
  if (issue.path.length > 0) {
    const field = issue.path.join('.');

    return [{ field, problem: issue.message, instruction: false }];
  }
  if (
    issue.code === 'invalid_type' &&
    (issue.expected === 'object' || issue.expected === 'record')
  ) {
    const problem = `Send a JSON object in the ${root}`;

    return [{ field: root, problem, instruction: true }];
  }

  return [{ field: root, problem: issue.message, instruction: false }];
};

/**
 * Turns zod issues into the field list every 400 carries: a field is the
 * path to the value, `root` when the problem is the input as a whole, and
 * each unknown key is a field of its own.
 */
export const fieldProblems = (
  error: z.ZodError,
  root = 'input',
): FieldProblem[] =>
  error.issues
    .flatMap((issue) => describeIssue(issue, root))
    .map(({ field, problem }) => ({ field, problem }));

/** The message: instructions as they are, other problems after their field. */
const summarise = (error: z.ZodError, what: string): string => {
  const described = error.issues.flatMap((issue) => describeIssue(issue, what));
  const parts = described.map((d) =>
    d.instruction || d.field === what ? d.problem : `${d.field}: ${d.problem}`,
  );

  return described.every((d) => d.instruction)
    ? parts.join('; ')
    : `Invalid ${what}: ${parts.join('; ')}`;
};

/**
 * Parses input with a schema; a mismatch is an InvalidInputError whose
 * fields are named after `what` is parsed (`body`, `query`, `settings`).
 */
export const parseInput = <S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = 'input',
): z.infer<S> => {
  const parsed = schema.safeParse(input, { error: plainWords });
  if (!parsed.success) {
    throw new InvalidInputError(
      summarise(parsed.error, what),
      fieldProblems(parsed.error, what),
    );
  }

  return parsed.data;
};

/**
 * Wraps a flow action: validates the state input with the schema, runs the
 * domain function, and lets errors propagate by name so that the state
 * machine's Retry and Catch see them.
 */
export const actionHandler = <S extends z.ZodType, R>(
  schema: S,
  run: (input: z.infer<S>) => Promise<R>,
) =>
  middy<unknown, R, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (event) => {
      const input = parseInput(schema, event);
      logger.appendKeys(correlationKeys(input));

      return run(input);
    });

const CORRELATION_FIELDS = ['caseId', 'alertId', 'flowId', 'runId'] as const;

const correlationKeys = (input: unknown): Record<string, string> => {
  const keys: Record<string, string> = {};
  if (input === null || typeof input !== 'object') return keys;
  for (const field of CORRELATION_FIELDS) {
    const value = (input as Record<string, unknown>)[field];
    if (typeof value === 'string') keys[field] = value;
  }

  return keys;
};
