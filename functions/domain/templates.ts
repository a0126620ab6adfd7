import { z } from 'zod';
import { multiLineText, singleLineText } from './model.js';

/**
 * The four flow templates and the settings each flow of them can adjust
 * ("advanced options"). Every setting has a default, so a flow can be
 * created from a template with a name alone.
 */

const emailText = {
  subject: singleLineText(200),
  message: multiLineText(5_000),
};

const recipientSchema = z.object({
  email: z.email('must be an email address'),
  name: singleLineText(200).optional(),
});

export const DEFAULT_RESPONSE_OPTIONS = [
  'No concerns',
  'Concerns — details to follow',
  'Please contact me',
] as const;

export const notifyUsersSettings = z
  .object({
    ...emailText,
    subject: emailText.subject.default('You have been added to a policy'),
    message: emailText.message.default(
      'As part of our insider risk programme, your account is now in scope ' +
        'of the policy named below. No action is needed from you.',
    ),
  })
  .strict();

export const requestInfoSettings = z
  .object({
    subject: emailText.subject.default('Information requested about a case'),
    message: emailText.message.default(
      'The insider risk team would value your view on the case below. ' +
        'Please choose the answer that fits best.',
    ),
    // Empty by default so that GET /templates can show the defaults; a flow
    // is refused without stakeholders when it is saved (checkedSettings).
    stakeholders: z
      .array(recipientSchema)
      .min(1, 'add at least one stakeholder')
      .max(50, 'name at most 50 stakeholders')
      .default([]),
    responseOptions: z
      .array(singleLineText(100))
      .min(1)
      .max(6)
      .refine((options) => new Set(options).size === options.length, {
        message: 'response options must be different from each other',
      })
      .default([...DEFAULT_RESPONSE_OPTIONS]),
    allowComment: z.boolean().default(true),
    includeAlertSummary: z.boolean().default(true),
    reminderAfterHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 30)
      .default(72),
    deadlineAfterHours: z
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(168),
  })
  .strict()
  .refine((s) => s.reminderAfterHours < s.deadlineAfterHours, {
    message: 'reminderAfterHours must be less than deadlineAfterHours',
    path: ['reminderAfterHours'],
  });

export const notifyManagerSettings = z
  .object({
    subject: emailText.subject.default('Alerts for a member of your team'),
    message: emailText.message.default(
      'The insider risk team is reviewing alerts for a person who reports ' +
        'to you. The alerts are listed below.',
    ),
    maxAlertsListed: z.number().int().min(1).max(200).default(50),
  })
  .strict();

export const serviceNowSettings = z
  .object({
    table: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a ServiceNow table name')
      .refine((table) => !table.startsWith('sys_'), {
        message:
          'must not be a ServiceNow system table (sys_...); use incident ' +
          'or another task table',
      })
      .default('incident'),
    fields: z
      .record(
        z.string().regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a field name'),
        multiLineText(4_000, 0),
      )
      .refine((fields) => Object.keys(fields).length > 0, {
        message: 'map at least one field, such as short_description',
      })
      .default({
        short_description: 'Insider risk case {{case.name}}',
        description:
          'Case {{case.caseId}} for {{user.displayName}}: ' +
          '{{alerts.total}} alerts, highest severity {{alerts.highestSeverity}}.',
        urgency: '{{alerts.urgency}}',
        impact: '{{alerts.urgency}}',
        category: 'inquiry',
        correlation_id: '{{case.caseId}}',
      }),
  })
  .strict();

export const TEMPLATES = {
  'notify-users': {
    name: "Notify users when they're added to a policy",
    target: 'user',
    settings: notifyUsersSettings,
  },
  'request-info': {
    name: 'Request information from HR or business',
    target: 'case',
    settings: requestInfoSettings,
  },
  'notify-manager': {
    name: 'Notify manager when a user has an alert',
    target: 'case',
    settings: notifyManagerSettings,
  },
  'servicenow-record': {
    name: 'Create a record for the case in ServiceNow',
    target: 'case',
    settings: serviceNowSettings,
  },
} as const;

export type TemplateKey = keyof typeof TEMPLATES;
export type FlowTarget = 'case' | 'user';

export type NotifyUsersSettings = z.infer<typeof notifyUsersSettings>;
export type RequestInfoSettings = z.infer<typeof requestInfoSettings>;
export type NotifyManagerSettings = z.infer<typeof notifyManagerSettings>;
export type ServiceNowSettings = z.infer<typeof serviceNowSettings>;

export const isTemplateKey = (value: string): value is TemplateKey =>
  Object.hasOwn(TEMPLATES, value);
