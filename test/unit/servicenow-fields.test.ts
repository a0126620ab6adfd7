import { describe, expect, it } from '@jest/globals';
import { InvalidInputError } from '../../functions/domain/errors.js';
import type { Alert, Case, User } from '../../functions/domain/model.js';
import {
  buildRecordContext,
  checkFieldMapping,
  correlationIdFor,
  renderFields,
  urgencyFor,
} from '../../functions/domain/servicenow.js';
import { serviceNowSettings } from '../../functions/domain/templates.js';

const theCase: Case = {
  caseId: 'case-1',
  name: 'Data theft by departing users: Grace Taylor',
  status: 'Active',
  userId: 'grace@example.com',
  openedAt: '2026-03-01T09:00:00.000Z',
  updatedAt: '2026-03-01T09:00:00.000Z',
  updatedBy: 'analyst@example.com',
};

const user: User = {
  userId: 'grace@example.com',
  displayName: 'Grace Taylor',
  email: 'grace@example.com',
  department: 'Research',
  riskLevel: 'minor',
};

const alert = (index: number, severity: Alert['severity']): Alert => ({
  alertId: `alert-${index}`,
  userId: user.userId,
  policyId: 'policy-1',
  policyName: `Policy ${index}`,
  severity,
  status: 'Confirmed',
  detectedAt: new Date(Date.UTC(2026, 1, 1, 0, index)).toISOString(),
  caseId: theCase.caseId,
});

const context = (alerts: Alert[] = [alert(1, 'Medium'), alert(2, 'High')]) =>
  buildRecordContext({ case: theCase, user, alerts });

const renderError = (fields: Record<string, string>): InvalidInputError => {
  try {
    renderFields(fields, context());
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('the mapping rendered');
};

describe('ServiceNow field rendering', () => {
  it('renders the default mapping from the case, the user and the alerts', () => {
    // Prepare
    const { fields } = serviceNowSettings.parse({});

    // Act
    const rendered = renderFields(fields, context());

    // Assess
    expect(rendered).toEqual({
      short_description:
        'Insider risk case Data theft by departing users: Grace Taylor',
      description:
        'Case case-1 for Grace Taylor: 2 alerts, highest severity High.',
      urgency: '1',
      impact: '1',
      category: 'inquiry',
      correlation_id: 'case-1',
    });
  });

  it('renders a custom mapping with user details and listed alerts', () => {
    // Prepare
    const fields = {
      assignment_group: 'IRM {{user.department}}',
      work_notes:
        '{{alerts.list.0.policyName}} at {{alerts.list.0.detectedAt}}',
      comments: '{{alerts.summary}}',
    };

    // Act
    const rendered = renderFields(fields, context());

    // Assess
    expect(rendered).toEqual({
      assignment_group: 'IRM Research',
      work_notes: 'Policy 2 at 2026-02-01T00:02:00.000Z',
      comments:
        '2026-02-01T00:02:00.000Z High Policy 2\n' +
        '2026-02-01T00:01:00.000Z Medium Policy 1',
    });
  });

  it('renders empty text for values the directory or the case lacks', () => {
    // Prepare
    const fields = {
      u_title: '[{{user.jobTitle}}]',
      u_third: '[{{alerts.list.2.policyName}}]',
    };

    // Act
    const rendered = renderFields(fields, context());

    // Assess
    expect(rendered).toEqual({ u_title: '[]', u_third: '[]' });
  });

  it('rejects an unknown value and names the field that uses it', () => {
    // Act
    const error = renderError({
      short_description: '{{case.name}}',
      description: 'Case {{case.title}}',
    });

    // Assess
    expect(error.message).toContain('description uses {{case.title}}');
    expect(error.fields).toEqual([
      { field: 'fields.description', problem: expect.any(String) },
    ]);
  });

  it.each([
    ['a block helper', '{{#each alerts.list}}{{policyName}}{{/each}}'],
    ['a partial', '{{> details}}'],
    ['a helper call', '{{lookup case "name"}}'],
    ['a data variable', '{{@root.case.name}}'],
    ['a parent path', '{{../case.name}}'],
    ['a literal', '{{"text"}}'],
    ['a whole object', '{{alerts.list}}'],
    ['an alert beyond the listed ones', '{{alerts.list.20.severity}}'],
  ])('rejects %s', (_kind, template) => {
    // Act
    const problems = checkFieldMapping({ description: template });

    // Assess
    expect(problems).toEqual([
      { field: 'fields.description', problem: expect.any(String) },
    ]);
  });

  it('rejects a template that does not parse', () => {
    // Act
    const problems = checkFieldMapping({ short_description: '{{case.name' });

    // Assess
    expect(problems[0]?.problem).toMatch(/^short_description is not a valid/);
  });

  it('keeps non-ASCII characters and quotes intact in the JSON body', () => {
    // Prepare
    const name = 'Zoë "Ø" O\'Brien <b>&amp; 日本 ✓';
    const alerts = [alert(1, 'Low')];
    const odd = buildRecordContext({
      case: { ...theCase, name },
      user,
      alerts,
    });

    // Act
    const rendered = renderFields({ short_description: '{{case.name}}' }, odd);
    const body = JSON.parse(JSON.stringify(rendered)) as typeof rendered;

    // Assess
    expect(body.short_description).toBe(name);
  });
});

describe('ServiceNow record context', () => {
  it.each([
    ['High', 1],
    ['Medium', 2],
    ['Low', 3],
    [undefined, 3],
  ] as const)('maps severity %s to urgency %i', (severity, urgency) => {
    expect(urgencyFor(severity)).toBe(urgency);
  });

  it('takes the urgency of the highest severity of the case', () => {
    // Act
    const built = context([alert(1, 'Low'), alert(2, 'Medium')]);

    // Assess
    expect(built.alerts).toMatchObject({
      total: 2,
      highestSeverity: 'Medium',
      urgency: 2,
    });
  });

  it('says None and low urgency for a case without alerts', () => {
    // Act
    const built = context([]);

    // Assess
    expect(built.alerts).toMatchObject({
      total: 0,
      highestSeverity: 'None',
      urgency: 3,
      summary: '',
    });
  });

  it('lists the 20 most recent alerts and counts the others', () => {
    // Prepare
    const alerts = Array.from({ length: 25 }, (_, i) => alert(i, 'Low'));

    // Act
    const built = context(alerts);

    // Assess
    expect(built.alerts.total).toBe(25);
    expect(built.alerts.list).toHaveLength(20);
    expect(built.alerts.list[0]?.policyName).toBe('Policy 24');
    expect(built.alerts.summary.split('\n').at(-1)).toBe('and 5 more');
  });

  it('presents the user through the given function', () => {
    // Act
    const built = buildRecordContext(
      { case: theCase, user, alerts: [] },
      (person) => ({ ...person, displayName: 'AnonIS8-988', email: '' }),
    );

    // Assess
    expect(built.user.displayName).toBe('AnonIS8-988');
    expect(built.user.email).toBe('');
  });
});

describe('ServiceNow correlation id', () => {
  it('uses one id per run when the mapping has none', () => {
    expect(correlationIdFor({ short_description: 'x' }, 'run-7')).toBe(
      'irm:run-7',
    );
  });

  it('uses the mapped correlation_id', () => {
    expect(correlationIdFor({ correlation_id: 'case-1' }, 'run-7')).toBe(
      'case-1',
    );
  });

  it.each([
    ['empty', ' '],
    ['a caret', 'case^1'],
    ['too long', 'x'.repeat(101)],
  ])('rejects a mapped correlation_id that renders %s', (_kind, value) => {
    expect(() => correlationIdFor({ correlation_id: value }, 'run-7')).toThrow(
      InvalidInputError,
    );
  });
});
