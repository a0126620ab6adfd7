/**
 * The secrets of the local stack. They protect nothing real: the local
 * stack holds demo data on one machine. On AWS the alias key is a generated
 * Secrets Manager secret and the ServiceNow credentials are yours.
 */
export const LOCAL_ALIAS_SECRET = 'local-only-secret-do-not-use-in-production';

export const LOCAL_SERVICENOW = {
  username: 'irm-flows',
  password: 'local-only-password',
} as const;
