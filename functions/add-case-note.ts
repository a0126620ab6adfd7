import { z } from 'zod';
import { actionHandler } from './domain/action.js';
import { requireCase } from './domain/cases.js';
import { idSchema } from './domain/model.js';
import { addNote } from './domain/notes.js';

const input = z.object({
  caseId: idSchema,
  text: z.string().trim().min(1).max(10_000),
  noteKey: z.string().min(1).max(300),
  author: z.object({
    userId: z.string().min(1),
    flowId: z.string().optional(),
    runId: z.string().optional(),
  }),
  source: z.string().default('flow'),
});

/**
 * Add case note. Input `{ caseId, text, noteKey, author }`; output
 * `{ note, created }`. The caller's `noteKey` makes it idempotent: a retried
 * step finds the note already there and adds nothing.
 */
export const handler = actionHandler(input, async (request) => {
  await requireCase(request.caseId);

  return addNote({
    caseId: request.caseId,
    noteKey: request.noteKey,
    text: request.text,
    author: {
      kind: request.author.flowId ? 'flow' : 'person',
      ...request.author,
    },
    source: request.source,
    createdAt: new Date().toISOString(),
  });
});
