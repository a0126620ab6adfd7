import { explainError } from '../../functions/domain/outcomes.js';

describe('explainError', () => {
  it('uses the Lambda error message from a JSON cause, not the stack', () => {
    const cause = JSON.stringify({
      errorType: 'ServiceNowAuthError',
      errorMessage: 'ServiceNow refused the credentials (401)',
      trace: ['at secret.js:1'],
    });

    const text = explainError({ Error: 'ServiceNowAuthError', Cause: cause });

    expect(text).toBe(
      'ServiceNow refused the request: ServiceNow refused the credentials (401)',
    );
  });

  it('keeps a plain-text cause as it is', () => {
    expect(explainError({ Error: 'States.Timeout', Cause: 'after 30 s' })).toBe(
      'A step took longer than it is allowed to: after 30 s',
    );
  });

  it('names an unknown error rather than hiding it', () => {
    expect(explainError({ Error: 'Boom' })).toBe('A step failed (Boom).');
  });
});
