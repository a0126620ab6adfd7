import type { z } from 'zod';
import { parseInput } from './action.js';
import { listAllCaseAlerts, requireCase } from './cases.js';
import { getPolicyMember, requirePolicy, requireUser } from './directory.js';
import { InvalidInputError, NotFoundError } from './errors.js';
import { requireFlow } from './flows.js';
import { formatCount, formatUtc, paragraphs } from './format.js';
import { linkUrl } from './links.js';
import { type Alert, SEVERITIES, severityRank } from './model.js';
import { requestTokens, requireRequest } from './responses.js';
import {
  notifyManagerSettings,
  notifyUsersSettings,
  requestInfoSettings,
  type TemplateKey,
} from './templates.js';

/*
 * What each email says, composed from ids: send-email's state input carries
 * ids only, and this module reads the people, policy, case, alerts and
 * response request it needs, and the subject and message of the flow
 * version the run started with.
 */

export const EMAIL_TEMPLATES = [
  'policy-added',
  'request-info',
  'request-reminder',
  'manager-alerts',
] as const;
export type EmailTemplate = (typeof EMAIL_TEMPLATES)[number];

export const AUDIENCES = ['user', 'manager'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** What send-email is asked to send: the state input, ids only. */
export interface EmailOrder {
  readonly runId: string;
  readonly flowId: string;
  readonly flowVersion: string;
  readonly startedBy: string;
  readonly template: EmailTemplate;
  readonly messageKey: string;
  readonly recipientUserId?: string;
  readonly requestId?: string;
  readonly audience?: Audience;
  readonly userId?: string;
  readonly policyId?: string;
  readonly caseId?: string;
}

/** An email ready to render: its recipient, subject and template view. */
export interface ComposedEmail {
  readonly template: EmailTemplate;
  readonly recipient: string;
  readonly subject: string;
  readonly view: Record<string, unknown>;
}

/** One line of an alert list. */
export interface AlertLine {
  readonly policyName: string;
  readonly title?: string;
  readonly severity: string;
  readonly detectedAt: string;
}

/** How many alerts a case has, in all and per severity. */
export interface AlertSummary {
  readonly total: string;
  readonly severityCounts: { severity: string; count: string }[];
}

/** A case's alerts as an email lists them. */
export interface AlertDigest extends AlertSummary {
  readonly alerts: AlertLine[];
  /** How many alerts are not listed; 0 when all are. */
  readonly more: number;
  readonly moreText: string;
}

const byRecent = (a: Alert, b: Alert): number =>
  b.detectedAt.localeCompare(a.detectedAt);

const bySeverityThenRecent = (a: Alert, b: Alert): number =>
  severityRank(a.severity) - severityRank(b.severity) || byRecent(a, b);

/**
 * Lists a case's alerts for an email: highest severity first, then most
 * recent. Beyond `maxListed` alerts, the most recent `maxListed` are listed
 * (in that same order) and the rest are counted, because recency is what a
 * manager can act on; the counts per severity still cover every alert, so
 * an older High alert is never hidden entirely.
 */
export const digestAlerts = (
  alerts: readonly Alert[],
  maxListed: number,
): AlertDigest => {
  const listed = [...alerts]
    .sort(byRecent)
    .slice(0, maxListed)
    .sort(bySeverityThenRecent);
  const more = alerts.length - listed.length;

  return {
    alerts: listed.map((alert) => ({
      policyName: alert.policyName,
      title: alert.title,
      severity: alert.severity,
      detectedAt: formatUtc(alert.detectedAt),
    })),
    ...summariseAlerts(alerts),
    more,
    moreText:
      more > 0
        ? `${formatCount(more)} more ${more === 1 ? 'alert is' : 'alerts are'} ` +
          'not listed: the most recent are shown.'
        : '',
  };
};

/** Counts a case's alerts, in all and per severity (highest first). */
export const summariseAlerts = (alerts: readonly Alert[]): AlertSummary => ({
  total: formatCount(alerts.length),
  severityCounts: SEVERITIES.map((severity) => ({
    severity,
    count: formatCount(alerts.filter((a) => a.severity === severity).length),
  })),
});

/**
 * The flow version's settings for a template. A flow of another template
 * (a custom flow sending email) gets the template's default subject and
 * message.
 */
const flowSettings = async <S extends z.ZodType>(
  order: EmailOrder,
  templateId: TemplateKey,
  schema: S,
): Promise<z.infer<S>> => {
  const flow = await requireFlow(order.flowId, order.flowVersion);
  const settings = flow.templateId === templateId ? flow.settings : {};

  return parseInput(schema, settings, `settings of flow ${order.flowId}`);
};

const required = <K extends keyof EmailOrder>(
  order: EmailOrder,
  field: K,
): NonNullable<EmailOrder[K]> => {
  const value = order[field];
  if (value === undefined || value === null) {
    throw new InvalidInputError(
      `The ${order.template} email needs ${String(field)}`,
      [{ field: String(field), problem: 'required for this template' }],
    );
  }

  return value as NonNullable<EmailOrder[K]>;
};

const composePolicyAdded = async (
  order: EmailOrder,
): Promise<ComposedEmail> => {
  const userId = required(order, 'userId');
  const policyId = required(order, 'policyId');
  const recipientUserId = required(order, 'recipientUserId');
  const settings = await flowSettings(
    order,
    'notify-users',
    notifyUsersSettings,
  );
  const member = await getPolicyMember(policyId, userId);
  if (member === undefined) {
    throw new NotFoundError(`User ${userId} is not in policy ${policyId}`);
  }
  const policy = await requirePolicy(policyId);
  const user = await requireUser(userId);
  const recipient =
    recipientUserId === userId ? user : await requireUser(recipientUserId);
  const audience =
    order.audience ?? (recipientUserId === userId ? 'user' : 'manager');

  return {
    template: 'policy-added',
    recipient: recipient.email,
    subject: settings.subject,
    view: {
      subject: settings.subject,
      recipientName: recipient.displayName,
      forManager: audience === 'manager',
      personName: user.displayName,
      policyName: policy.name,
      addedAt: formatUtc(member.addedAt),
      message: paragraphs(settings.message),
    },
  };
};

const composeRequest = async (
  order: EmailOrder,
  publicBaseUrl: string,
): Promise<ComposedEmail> => {
  const request = await requireRequest(required(order, 'requestId'));
  const settings = await flowSettings(
    order,
    'request-info',
    requestInfoSettings,
  );
  const found = await requireCase(request.caseId);
  const tokens = await requestTokens(request);
  const reminder = order.template === 'request-reminder';
  const subject = reminder ? `Reminder: ${request.question}` : request.question;
  const alerts = settings.includeAlertSummary
    ? summariseAlerts(await listAllCaseAlerts(found.caseId))
    : undefined;

  return {
    template: order.template,
    recipient: request.recipient,
    subject,
    view: {
      subject,
      reminder,
      recipientName: request.recipientName ?? request.recipient,
      question: request.question,
      message: paragraphs(settings.message),
      caseId: found.caseId,
      caseName: found.name,
      alertSummary: alerts,
      links: request.options.map((label, index) => ({
        label,
        url: linkUrl(publicBaseUrl, tokens[index] ?? ''),
      })),
      expiresAt: formatUtc(request.expiresAt),
    },
  };
};

const composeManagerAlerts = async (
  order: EmailOrder,
): Promise<ComposedEmail> => {
  const found = await requireCase(required(order, 'caseId'));
  const manager = await requireUser(required(order, 'recipientUserId'));
  const settings = await flowSettings(
    order,
    'notify-manager',
    notifyManagerSettings,
  );
  const user = await requireUser(found.userId);
  const alerts = await listAllCaseAlerts(found.caseId);

  return {
    template: 'manager-alerts',
    recipient: manager.email,
    subject: settings.subject,
    view: {
      subject: settings.subject,
      recipientName: manager.displayName,
      personName: user.displayName,
      caseId: found.caseId,
      caseName: found.name,
      message: paragraphs(settings.message),
      digest: digestAlerts(alerts, settings.maxAlertsListed),
    },
  };
};

/**
 * Composes the email an order asks for. Request emails carry one link per
 * response option, built from `publicBaseUrl` and never from a request.
 */
export const composeEmail = (
  order: EmailOrder,
  publicBaseUrl: string,
): Promise<ComposedEmail> => {
  switch (order.template) {
    case 'policy-added':
      return composePolicyAdded(order);
    case 'request-info':
    case 'request-reminder':
      return composeRequest(order, publicBaseUrl);
    case 'manager-alerts':
      return composeManagerAlerts(order);
  }
};
