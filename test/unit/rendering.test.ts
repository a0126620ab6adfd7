import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { createRenderer } from '../../functions/domain/rendering.js';

const renderer = createRenderer(join(__dirname, '../../functions/templates'));

const hostileName = 'Zoë Ångström <script>alert(1)</script>';

const policyView = {
  subject: 'Added to a policy',
  recipientName: hostileName,
  forManager: false,
  personName: hostileName,
  policyName: 'Data leaks & "priority" users',
  addedAt: '2026-11-30 14:05 UTC',
  message: ['Your account is now in scope.'],
};

describe('email rendering', () => {
  it('escapes HTML in names and titles of the HTML part', () => {
    // Act
    const { html } = renderer.email('policy-added', policyView);

    // Assess
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('Data leaks &amp; &quot;priority&quot; users');
  });

  it('keeps non-ASCII characters intact in both parts', () => {
    // Act
    const { html, text } = renderer.email('policy-added', policyView);

    // Assess
    expect(html).toContain('Zoë Ångström');
    expect(text).toContain('Zoë Ångström');
  });

  it('leaves the plain-text part unescaped', () => {
    // Act
    const { text } = renderer.email('policy-added', policyView);

    // Assess
    expect(text).toContain(hostileName);
    expect(text).toContain('Data leaks & "priority" users');
    expect(text).not.toContain('&amp;');
  });

  it('loads no third-party resource in any email', () => {
    // Prepare
    const view = {
      ...policyView,
      forManager: true,
      links: [{ label: 'No concerns', url: 'https://irm.example/r/abc' }],
      digest: { alerts: [], severityCounts: [], total: '0', more: 0 },
    };

    // Act
    const parts = ['policy-added', 'request-info', 'manager-alerts'].map(
      (name) => renderer.email(name, view).html,
    );

    // Assess
    for (const html of parts) {
      expect(html).not.toMatch(/<(img|script|link|iframe)\b/i);
      expect(html).not.toMatch(/\bsrc=/i);
    }
  });

  it('escapes a hostile link label but keeps the link usable', () => {
    // Prepare
    const view = {
      ...policyView,
      links: [{ label: '<b>Yes</b>', url: 'https://irm.example/r/a_b-c' }],
    };

    // Act
    const { html, text } = renderer.email('request-info', view);

    // Assess
    expect(html).toContain('href="https://irm.example/r/a_b-c"');
    expect(html).toContain('&lt;b&gt;Yes&lt;/b&gt;');
    expect(text).toContain('- <b>Yes</b>: https://irm.example/r/a_b-c');
  });
});

describe('page rendering', () => {
  it('escapes the case name on the response form', () => {
    // Prepare
    const view = {
      title: 'Question',
      question: 'Question',
      caseId: 'case-1',
      caseName: hostileName,
      recipientName: 'hr@example.com',
      options: [{ index: 0, label: 'No concerns', checked: true }],
      allowComment: true,
      comment: '</textarea><script>x</script>',
      maxComment: 2000,
      expiresAt: '2026-12-07 14:05 UTC',
      problems: [],
    };

    // Act
    const html = renderer.page('response-form', view);

    // Assess
    expect(html).not.toContain('<script>');
    expect(html).toContain('Zoë Ångström &lt;script&gt;');
    expect(html).toContain('value="0" required checked');
  });

  it('throws a configuration error for a template that does not exist', () => {
    // Act
    const render = () => renderer.page('no-such-page', {});

    // Assess
    expect(render).toThrow('No template no-such-page.html.hbs');
  });
});
