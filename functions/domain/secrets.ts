import { hkdfSync } from 'node:crypto';
import {
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from './errors.js';

/*
 * Secrets come either as a Secrets Manager ARN (`<NAME>_ARN`, on AWS) or as
 * a value (`<NAME>`, on the local stack). Values are fetched once per
 * process.
 */

let secretsClient: SecretsManagerClient | undefined;
const cache = new Map<string, Promise<string>>();

const fetchSecret = async (arn: string): Promise<string> => {
  secretsClient ??= new SecretsManagerClient({});
  const answer = await secretsClient.send(
    new GetSecretValueCommand({ SecretId: arn }),
  );
  if (answer.SecretString === undefined) {
    throw new ConfigurationError(`Secret ${arn} has no string value`);
  }

  return answer.SecretString;
};

/** Reads the secret named by `<name>_ARN`, or the value in `<name>`. */
export const readSecret = (name: string): Promise<string> => {
  const cached = cache.get(name);
  if (cached) return cached;
  const arn = process.env[`${name}_ARN`];
  const value = process.env[name];
  let pending: Promise<string>;
  if (arn) {
    pending = fetchSecret(arn);
  } else if (value) {
    pending = Promise.resolve(value);
  } else {
    pending = Promise.reject(
      new ConfigurationError(`Missing setting ${name}_ARN or ${name}`),
    );
  }
  pending.catch(() => cache.delete(name));
  cache.set(name, pending);

  return pending;
};

/**
 * A key for one purpose (`alias`, `links`) derived from the deployment's
 * generated secret, so one secret serves both without reusing a key.
 */
export const derivedKey = async (purpose: string): Promise<Buffer> => {
  const secret = await readSecret('ALIAS_SECRET');

  return Buffer.from(hkdfSync('sha256', secret, '', `irm:${purpose}`, 32));
};
