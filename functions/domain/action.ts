import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { InvalidInputError } from './errors.js';
import { logger } from './logger.js';

/** Turns zod issues into the field list every 400 carries. */
export const fieldProblems = (error: z.ZodError) =>
  error.issues.map((issue) => ({
    field: issue.path.join('.') || '(input)',
    problem: issue.message,
  }));

/** Parses input with a schema; a mismatch is an InvalidInputError. */
export const parseInput = <S extends z.ZodType>(
  schema: S,
  input: unknown,
  what = 'input',
): z.infer<S> => {
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    const fields = fieldProblems(parsed.error);
    const summary = fields.map((f) => `${f.field}: ${f.problem}`).join('; ');
    throw new InvalidInputError(`Invalid ${what}: ${summary}`, fields);
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
