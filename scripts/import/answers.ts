import { z } from 'zod';
import { idSchema } from '../../functions/domain/model.js';
import type { DraftResult } from './alert-drafts.js';
import type { CsvColumns } from './csv.js';
import { parseUsDateTime } from './dates.js';
import { CERT_SCENARIOS } from './policies.js';
import { describeIssues } from './report.js';

/*
 * The CERT insider threat answers file: one row per insider of a data set
 * release, with the red-team scenario and when the incident started and
 * ended. Each row becomes one confirmed High alert in the scenario's
 * policy, and puts the user in that policy's scope when the incident began.
 */

/** The columns of answers/insiders.csv. */
export const ANSWERS_COLUMNS = {
  required: ['dataset', 'scenario', 'details', 'user', 'start', 'end'],
} as const satisfies CsvColumns;

const row = z.object({
  dataset: idSchema,
  scenario: z.string().trim(),
  details: z.string().trim(),
  user: idSchema,
  start: z.string(),
  end: z.string(),
});

const US_EXAMPLE = 'like 3/6/2010 1:41:56';

/** Reads one answers row into an alert draft, or says why not. */
export const readAnswersRow = (
  fields: Readonly<Record<string, string>>,
  where: string,
): DraftResult => {
  const parsed = row.safeParse(fields);
  if (!parsed.success) return { reason: describeIssues(parsed.error) };
  const answer = parsed.data;
  const scenario = CERT_SCENARIOS[answer.scenario];
  const start = parseUsDateTime(answer.start);
  const end = parseUsDateTime(answer.end);
  const problems = [
    scenario ? '' : `scenario "${answer.scenario}" is not one of 1 to 5`,
    start ? '' : `start "${answer.start}" is not a time ${US_EXAMPLE}`,
    end ? '' : `end "${answer.end}" is not a time ${US_EXAMPLE}`,
    start && end && end < start ? 'end is before start' : '',
  ].filter((problem) => problem !== '');
  if (!scenario || !start || problems.length > 0) {
    return { reason: problems.join('; ') };
  }

  return {
    draft: {
      format: 'certAnswers',
      where,
      alertId: `cert-${answer.dataset}-${answer.scenario}-${answer.user}`,
      userRefs: [answer.user],
      policy: scenario.policy,
      severity: 'High',
      status: 'Confirmed',
      detectedAt: start,
      observedAt: start,
      title: `CERT scenario ${answer.scenario}: ${scenario.summary}`,
      addedToPolicyAt: start,
    },
  };
};
