import { z } from 'zod';
import { parseInput } from '../../functions/domain/action.js';
import { InvalidInputError } from '../../functions/domain/errors.js';

const noteBody = z
  .object({
    text: z.string().trim().min(1).max(20),
    kind: z.enum(['note', 'comment']).optional(),
  })
  .strict();

/** The error parseInput throws for an input, or a failure if it passes. */
const refusal = (input: unknown, what = 'body'): InvalidInputError => {
  try {
    parseInput(noteBody, input, what);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('The input was accepted');
};

describe('parseInput', () => {
  it.each([
    ['no body', undefined],
    ['an array body', []],
    ['a string body', 'text'],
  ])('asks for a JSON object when given %s', (_how, input) => {
    const error = refusal(input);

    expect(error.message).toBe('Send a JSON object in the body');
    expect(error.fields).toEqual([
      { field: 'body', problem: 'Send a JSON object in the body' },
    ]);
  });

  it('names each unknown key as its own field', () => {
    const error = refusal({ text: 'hello', extra: 1, other: 2 });

    expect(error.message).toBe(
      'Remove the unknown field extra; Remove the unknown field other',
    );
    expect(error.fields.map((f) => f.field)).toEqual(['extra', 'other']);
  });

  it.each([
    ['only spaces', { text: '   ' }, 'must not be empty'],
    ['nothing', {}, 'is required'],
    ['a number', { text: 3 }, 'must be text'],
    ['too much', { text: 'x'.repeat(21) }, 'must be at most 20 characters'],
  ])(
    'says in plain words what is wrong with text of %s',
    (_how, input, problem) => {
      const error = refusal(input);

      expect(error.fields).toEqual([{ field: 'text', problem }]);
      expect(error.message).toBe(`Invalid body: text: ${problem}`);
    },
  );

  it('lists the allowed values of an enum', () => {
    const error = refusal({ text: 'hi', kind: 'memo' });

    expect(error.fields).toEqual([
      { field: 'kind', problem: 'must be one of: note, comment' },
    ]);
  });

  it('names a problem with the whole input after what was parsed', () => {
    const header = z.string().regex(/^\w{8,}$/, 'use 8 or more letters');

    expect(() => parseInput(header, 'short', 'Idempotency-Key header')).toThrow(
      expect.objectContaining({
        message: 'Invalid Idempotency-Key header: use 8 or more letters',
        fields: [
          { field: 'Idempotency-Key header', problem: 'use 8 or more letters' },
        ],
      }),
    );
  });

  it('keeps a message the schema states itself', () => {
    const named = z.object({ name: z.string().min(1, 'give it a name') });

    expect(() => parseInput(named, { name: '' }, 'body')).toThrow(
      'Invalid body: name: give it a name',
    );
  });
});
