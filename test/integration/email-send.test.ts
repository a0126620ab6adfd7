import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DeliveryResult } from '../../functions/domain/email.js';
import type { Alert, Severity } from '../../functions/domain/model.js';
import {
  invoke,
  type MailStack,
  seedAlerts,
  seedFlow,
  startMailStack,
} from './email-support.js';

let stack: MailStack;

const run = {
  runId: 'run-email-1',
  flowId: 'flow-notify-users',
  flowVersion: 'v000001',
  startedBy: 'analyst@example.test',
};

const manager = {
  userId: 'mgr001',
  displayName: 'Maren Okafor',
  email: 'maren.okafor@example.test',
  riskLevel: 'none',
} as const;

const user = {
  userId: 'usr001',
  displayName: 'Zoë Ångström <script>',
  email: 'zoe.angstrom@example.test',
  managerId: manager.userId,
  riskLevel: 'moderate',
} as const;

const seedDirectory = async () => {
  const directory = await import('../../functions/domain/directory.js');
  await directory.putUser(manager);
  await directory.putUser(user);
  await directory.putPolicy({
    policyId: 'pol-leaks',
    name: 'Data leaks & "priority" users',
    template: 'Data leaks by priority users',
  });
  await directory.addPolicyMember({
    policyId: 'pol-leaks',
    userId: user.userId,
    addedAt: '2026-11-30T14:05:00.000Z',
    addedBy: 'admin@example.test',
  });
};

const SEVERITIES: readonly Severity[] = ['Low', 'Medium', 'High'];

const caseAlerts = (caseId: string, count: number): Alert[] =>
  Array.from({ length: count }, (_, index) => ({
    alertId: `${caseId}-alert-${index}`,
    userId: user.userId,
    policyId: 'pol-leaks',
    policyName: 'Data leaks & "priority" users',
    severity: SEVERITIES[index % 3] ?? 'Low',
    status: 'Confirmed',
    detectedAt: new Date(
      Date.UTC(2026, 9, 1) + index * 3_600_000,
    ).toISOString(),
    caseId,
  }));

const seedCase = async (caseId: string, alertCount: number) => {
  const cases = await import('../../functions/domain/cases.js');
  await cases.putCaseIfAbsent({
    caseId,
    name: 'Leaks <b>by</b> Zoë',
    status: 'Active',
    userId: user.userId,
    openedAt: '2026-11-01T09:00:00.000Z',
    updatedAt: '2026-11-01T09:00:00.000Z',
    updatedBy: 'seed',
  });
  await seedAlerts(caseAlerts(caseId, alertCount));
};

const emailsTo = async (address: string) =>
  (await stack.emails()).filter((e) => e.destination.to.includes(address));

beforeAll(async () => {
  stack = await startMailStack();
  await seedDirectory();
  await seedFlow(run.flowId, 'notify-users', {});
  await seedFlow('flow-notify-manager', 'notify-manager', {});
  await seedCase('case-small', 3);
  await seedCase('case-large', 1_000);
});

afterAll(async () => {
  await stack.close();
});

describe('send-email', () => {
  it('sends one email when the step is retried with the same key', async () => {
    // Prepare
    const order = {
      ...run,
      template: 'policy-added',
      messageKey: 'user',
      recipientUserId: user.userId,
      userId: user.userId,
      policyId: 'pol-leaks',
    };

    // Act
    const first = await invoke<DeliveryResult>('send-email', order);
    const retry = await invoke<DeliveryResult>('send-email', order);

    // Assess
    expect(first).toMatchObject({
      status: 'sent',
      recipient: user.email,
      messageKey: 'user',
    });
    expect(retry).toMatchObject({
      status: 'already-sent',
      messageId: first.messageId,
      sentAt: first.sentAt,
    });
    const received = await emailsTo(user.email);
    expect(received).toHaveLength(1);
    expect(received[0]?.messageId).toBe(first.messageId);
  });

  it('names the policy and the date added, escaped in HTML only', async () => {
    // Act
    const [email] = await emailsTo(user.email);

    // Assess
    expect(email?.subject).toBe('You have been added to a policy');
    expect(email?.body.html).toContain(
      'Data leaks &amp; &quot;priority&quot; users',
    );
    expect(email?.body.html).toContain('Zoë Ångström &lt;script&gt;');
    expect(email?.body.html).not.toContain('<script>');
    expect(email?.body.text).toContain('Data leaks & "priority" users');
    expect(email?.body.text).toContain('2026-11-30 14:05 UTC');
  });

  it('tells the manager which person was added', async () => {
    // Act
    const result = await invoke<DeliveryResult>('send-email', {
      ...run,
      template: 'policy-added',
      messageKey: 'manager',
      recipientUserId: manager.userId,
      audience: 'manager',
      userId: user.userId,
      policyId: 'pol-leaks',
    });

    // Assess
    expect(result.status).toBe('sent');
    const [email] = await emailsTo(manager.email);
    expect(email?.body.text).toContain(
      'Zoë Ångström <script>, who reports to you, was added to the policy',
    );
  });

  it('skips an address on the suppression list', async () => {
    // Prepare
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { dynamo } = await import('../../functions/domain/clients.js');
    await dynamo.send(
      new PutCommand({
        TableName: process.env.SETTINGS_TABLE,
        Item: { settingId: `suppressed#${manager.email}` },
      }),
    );
    const before = (await stack.emails()).length;

    // Act
    const result = await invoke<DeliveryResult>('send-email', {
      ...run,
      runId: 'run-email-suppressed',
      template: 'policy-added',
      messageKey: 'manager',
      recipientUserId: manager.userId,
      userId: user.userId,
      policyId: 'pol-leaks',
    });

    // Assess
    expect(result.status).toBe('suppressed');
    expect(await stack.emails()).toHaveLength(before);
  });
});

describe('send claims', () => {
  const claimOrder = (runId: string) => ({
    ...run,
    runId,
    template: 'policy-added',
    messageKey: 'user',
    recipientUserId: user.userId,
    userId: user.userId,
    policyId: 'pol-leaks',
  });

  const putClaim = async (
    runId: string,
    minutesAgo: number,
    status = 'sending',
  ) => {
    const { PutCommand } = await import('@aws-sdk/lib-dynamodb');
    const { dynamo } = await import('../../functions/domain/clients.js');
    await dynamo.send(
      new PutCommand({
        TableName: process.env.NOTIFICATIONS_TABLE,
        Item: {
          runId,
          messageKey: 'send#user',
          status,
          claimId: 'crashed-attempt',
          claimedAt: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
          recipient: user.email,
        },
      }),
    );
  };

  it('asks for a retry while a recent claim is still sending', async () => {
    // Prepare
    await putClaim('run-claim-fresh', 1);

    // Act
    const attempt = invoke('send-email', claimOrder('run-claim-fresh'));

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('takes over a claim stuck in sending for over 5 minutes', async () => {
    // Prepare
    await putClaim('run-claim-stale', 6);

    // Act
    const result = await invoke<DeliveryResult>(
      'send-email',
      claimOrder('run-claim-stale'),
    );

    // Assess
    expect(result.status).toBe('sent');
  });

  it('sends a message whose claim SES refused before', async () => {
    // Prepare
    await putClaim('run-claim-released', 0, 'released');

    // Act
    const result = await invoke<DeliveryResult>(
      'send-email',
      claimOrder('run-claim-released'),
    );

    // Assess
    expect(result.status).toBe('sent');
  });
});

describe('manager-alerts email', () => {
  const managerOrder = (caseId: string) => ({
    ...run,
    runId: `run-${caseId}`,
    flowId: 'flow-notify-manager',
    caseId,
    template: 'manager-alerts',
    messageKey: 'manager',
    recipientUserId: 'usr-manager-2',
  });

  beforeAll(async () => {
    const directory = await import('../../functions/domain/directory.js');
    await directory.putUser({
      userId: 'usr-manager-2',
      displayName: 'Second Manager',
      email: 'second.manager@example.test',
      riskLevel: 'none',
    });
  });

  it('lists every alert, highest severity first, with UTC times', async () => {
    // Act
    await invoke('send-email', managerOrder('case-small'));

    // Assess
    const email = (await emailsTo('second.manager@example.test')).find((e) =>
      e.body.text?.includes('case-small'),
    );
    const lines = (email?.body.text ?? '')
      .split('\n')
      .filter((line) => line.startsWith('- '));
    expect(lines).toEqual([
      '- High | Data leaks & "priority" users | 2026-10-01 02:00 UTC',
      '- Medium | Data leaks & "priority" users | 2026-10-01 01:00 UTC',
      '- Low | Data leaks & "priority" users | 2026-10-01 00:00 UTC',
    ]);
    expect(email?.body.html).toContain('Leaks &lt;b&gt;by&lt;/b&gt; Zoë');
  });

  it('lists 50 of 1,000 alerts and says 950 more', async () => {
    // Act
    const result = await invoke<DeliveryResult>(
      'send-email',
      managerOrder('case-large'),
    );

    // Assess
    expect(result.status).toBe('sent');
    expect(JSON.stringify(result)).not.toContain('alert');
    const email = (await emailsTo('second.manager@example.test')).find((e) =>
      e.body.text?.includes('case-large'),
    );
    const rows = email?.body.html?.match(/<td[^>]*>(High|Medium|Low)<\/td>/g);
    expect(rows).toHaveLength(50);
    expect(email?.body.html).toContain('950 more alerts are not listed');
    expect(email?.body.text).toContain(
      'Alerts: 1,000 (333 High, 333 Medium, 334 Low)',
    );
  });
});

describe('record-notification', () => {
  it('records one tracking record per message, listed for the user', async () => {
    // Prepare
    const { listNotificationsOfUser } = await import(
      '../../functions/domain/notifications.js'
    );
    const notification = {
      runId: run.runId,
      flowId: run.flowId,
      messageKey: 'user',
      userId: user.userId,
      policyId: 'pol-leaks',
      recipient: user.email,
      messageId: 'ses-message-1',
      sentAt: '2026-11-30T14:06:00.000Z',
    };

    // Act
    const first = await invoke('record-notification', notification);
    const retry = await invoke('record-notification', notification);

    // Assess
    expect(first).toEqual({ recorded: true });
    expect(retry).toEqual({ recorded: false });
    const page = await listNotificationsOfUser(user.userId, 10);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      messageKey: 'user',
      recipient: user.email,
      policyId: 'pol-leaks',
      messageId: 'ses-message-1',
      sentAt: '2026-11-30T14:06:00.000Z',
    });
  });
});
