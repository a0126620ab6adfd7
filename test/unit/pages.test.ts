import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  PAGE_HEADERS,
  parseAnswerForm,
  respondToLink,
} from '../../functions/domain/pages.js';
import { createRenderer } from '../../functions/domain/rendering.js';

const renderer = createRenderer(join(__dirname, '../../functions/templates'));
const FORM = 'application/x-www-form-urlencoded';
const request = {
  options: ['No concerns', 'Please contact me'],
  allowComment: true,
};

describe('answer form', () => {
  it('reads the option and the trimmed comment', () => {
    // Act
    const parsed = parseAnswerForm(
      {
        contentType: `${FORM}; charset=UTF-8`,
        body: 'option=1&comment=+Call+me%0D%0A',
      },
      request,
    );

    // Assess
    expect(parsed).toEqual({
      answer: {
        optionIndex: 1,
        option: 'Please contact me',
        comment: 'Call me',
      },
    });
  });

  it.each([
    ['a missing option', 'comment=hi'],
    ['an option out of range', 'option=2'],
    ['an option that is not a number', 'option=No+concerns'],
  ])('asks to choose an answer for %s', (_, body) => {
    // Act
    const parsed = parseAnswerForm({ contentType: FORM, body }, request);

    // Assess
    expect(parsed).toMatchObject({ problems: ['Choose one of the answers.'] });
  });

  it('asks to shorten a comment over 2,000 characters', () => {
    // Prepare
    const body = `option=0&comment=${'x'.repeat(2_001)}`;

    // Act
    const parsed = parseAnswerForm({ contentType: FORM, body }, request);

    // Assess
    expect(parsed).toMatchObject({
      problems: ['Shorten the comment to at most 2000 characters.'],
      values: { optionIndex: 0 },
    });
  });

  it('asks to remove control characters from a comment but keeps line breaks', () => {
    // Prepare
    const body = 'option=0&comment=Line+one%0D%0Aline+two%1B%5B31m%00';

    // Act
    const parsed = parseAnswerForm({ contentType: FORM, body }, request);

    // Assess
    expect(parsed).toMatchObject({
      problems: [
        'Remove control characters from the comment; line breaks are fine.',
      ],
      values: { optionIndex: 0 },
    });
  });

  it('ignores a comment when the flow allows none', () => {
    // Act
    const parsed = parseAnswerForm(
      { contentType: FORM, body: 'option=0&comment=extra' },
      { ...request, allowComment: false },
    );

    // Assess
    expect(parsed).toEqual({
      answer: { optionIndex: 0, option: 'No concerns' },
    });
  });

  it('refuses a body that is not a form', () => {
    // Act
    const parsed = parseAnswerForm(
      { contentType: 'application/json', body: '{"option":0}' },
      request,
    );

    // Assess
    expect(parsed).toMatchObject({
      problems: ['Send your answer with the form below.'],
    });
  });
});

describe('response page', () => {
  it('answers 404 with every security header for a malformed token', async () => {
    // Act
    const page = await respondToLink(
      { method: 'GET', token: 'not-a-token' },
      renderer,
      new Date(),
    );

    // Assess
    expect(page.statusCode).toBe(404);
    expect(page.headers).toEqual(PAGE_HEADERS);
    expect(page.body).toContain('Link not found');
    expect(page.body).not.toContain('not-a-token');
  });

  it('answers HEAD without a body', async () => {
    // Act
    const page = await respondToLink(
      { method: 'HEAD', token: 'not-a-token' },
      renderer,
      new Date(),
    );

    // Assess
    expect(page.statusCode).toBe(404);
    expect(page.body).toBe('');
  });

  it('sends a strict content security policy', () => {
    // Act
    const policy = PAGE_HEADERS['content-security-policy'];

    // Assess
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("style-src 'unsafe-inline'");
    expect(policy).toContain("form-action 'self'");
    expect(PAGE_HEADERS['referrer-policy']).toBe('no-referrer');
  });
});
