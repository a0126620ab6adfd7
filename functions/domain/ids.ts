import { createHash, randomBytes } from 'node:crypto';

/**
 * A short id derived from its parts: the same parts always give the same id,
 * which is what makes retried writes land on the same item.
 */
export const deterministicId = (
  prefix: string,
  ...parts: readonly string[]
): string => {
  const digest = createHash('sha256').update(parts.join('\u0000'));

  return `${prefix}-${digest.digest('base64url').slice(0, 16)}`;
};

export const randomId = (prefix: string): string =>
  `${prefix}-${randomBytes(12).toString('base64url')}`;

export const sha256 = (value: string): string =>
  createHash('sha256').update(value).digest('hex');
