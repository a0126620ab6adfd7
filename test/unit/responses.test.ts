import { describe, expect, it } from '@jest/globals';
import {
  answerNote,
  type ResponseRequest,
  requestIdFor,
  summariseResponses,
} from '../../functions/domain/responses.js';

const request = (
  recipient: string,
  recipientName?: string,
  answered = false,
): ResponseRequest => ({
  linkHash: `request#req-${recipient}`,
  kind: 'request',
  requestId: `req-${recipient}`,
  runId: 'run-1',
  flowId: 'flow-1',
  flowVersion: 'v000001',
  caseId: 'case-1',
  startedBy: 'analyst@example.com',
  recipient,
  recipientName,
  question: 'Information requested about a case',
  options: ['No concerns', 'Please contact me'],
  allowComment: true,
  createdAt: '2026-11-30T14:05:00.000Z',
  expiresAt: '2026-12-07T14:05:00.000Z',
  expiresAtEpoch: 1_800_000_000,
  nonce: 'nonce',
  ...(answered
    ? {
        answer: {
          optionIndex: 0,
          option: 'No concerns',
          answeredAt: '2026-12-01T09:30:00.000Z',
        },
      }
    : {}),
});

describe('response requests', () => {
  it('gives the same request id to the same stakeholder in any case', () => {
    // Act
    const first = requestIdFor('run-1', 'HR@Example.com');
    const again = requestIdFor('run-1', 'hr@example.com');

    // Assess
    expect(again).toBe(first);
    expect(requestIdFor('run-2', 'hr@example.com')).not.toBe(first);
  });

  it('lists who never answered', () => {
    // Prepare
    const requests = [
      request('hr@example.com', 'Zoë Ångström'),
      request('legal@example.com', undefined, true),
      request('it@example.com'),
    ];

    // Act
    const summary = summariseResponses(requests);

    // Assess
    expect(summary).toEqual({
      pending: [
        { requestId: 'req-hr@example.com' },
        { requestId: 'req-it@example.com' },
      ],
      pendingCount: 2,
      answeredCount: 1,
      unansweredText:
        'No answer by the deadline from: Zoë Ångström <hr@example.com>, it@example.com',
    });
  });

  it('gives an empty text when everyone answered', () => {
    // Act
    const summary = summariseResponses([request('hr@example.com', 'HR', true)]);

    // Assess
    expect(summary.unansweredText).toBe('');
    expect(summary.pendingCount).toBe(0);
  });

  it('writes the recipient, option, comment and UTC time in the note', () => {
    // Prepare
    const asked = request('hr@example.com', 'Zoë Ångström');

    // Act
    const note = answerNote(asked, {
      optionIndex: 1,
      option: 'Please contact me',
      comment: 'Before Friday',
      answeredAt: '2026-12-01T09:30:00.000Z',
    });

    // Assess
    expect(note).toMatchObject({
      caseId: 'case-1',
      noteKey: 'response#req-hr@example.com',
      author: {
        kind: 'flow',
        userId: 'analyst@example.com',
        flowId: 'flow-1',
        runId: 'run-1',
      },
    });
    expect(note.text).toContain('Zoë Ångström <hr@example.com>');
    expect(note.text).toContain('Answer: Please contact me');
    expect(note.text).toContain('Comment: Before Friday');
    expect(note.text).toContain('Answered: 2026-12-01 09:30 UTC');
  });
});
