import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import {
  DeployParameterError,
  readDeployParameters,
} from '../../lib/parameters.js';

const COMPLETE = {
  stage: 'prod',
  senderAddress: 'irm@contoso.com',
  publicBaseUrl: 'https://irm.contoso.com/',
  allowedOrigins: 'https://irm.contoso.com, http://localhost:5173',
  serviceNowSecretName: 'irm/prod/servicenow',
  serviceNowInstanceUrl: 'https://contoso.service-now.com',
};

const read = (context: Record<string, unknown>) =>
  readDeployParameters(new App({ context }));

describe('readDeployParameters', () => {
  it('reads every parameter from context', () => {
    const parameters = read({ ...COMPLETE, alarmEmail: 'ops@contoso.com' });

    expect(parameters).toEqual({
      stage: 'prod',
      senderAddress: 'irm@contoso.com',
      senderIdentity: 'address',
      publicBaseUrl: 'https://irm.contoso.com',
      allowedOrigins: ['https://irm.contoso.com', 'http://localhost:5173'],
      serviceNowSecretName: 'irm/prod/servicenow',
      serviceNowInstanceUrl: 'https://contoso.service-now.com',
      alarmEmail: 'ops@contoso.com',
    });
  });

  it.each(Object.keys(COMPLETE))('names the missing parameter %s', (name) => {
    const context: Record<string, string> = { ...COMPLETE };
    delete context[name];

    expect(() => read(context)).toThrow(
      new RegExp(`Missing deploy parameters: ${name}\\.`),
    );
  });

  it('names every missing parameter at once', () => {
    expect(() => read({ stage: 'prod' })).toThrow(
      'Missing deploy parameters: senderAddress, publicBaseUrl, ' +
        'allowedOrigins, serviceNowSecretName, serviceNowInstanceUrl.',
    );
  });

  it.each([
    ['stage', 'Prod-1', 'stage must be'],
    ['senderAddress', 'contoso.com', 'senderAddress must be an email'],
    ['senderIdentity', 'both', 'senderIdentity must be address or domain'],
    [
      'publicBaseUrl',
      'http://irm.contoso.com',
      'publicBaseUrl must be an https',
    ],
    ['allowedOrigins', 'https://irm.contoso.com/app', 'allowedOrigins must be'],
    ['allowedOrigins', 'http://irm.contoso.com', 'allowedOrigins must be'],
    ['serviceNowInstanceUrl', 'contoso', 'serviceNowInstanceUrl must be'],
    ['alarmEmail', 'ops', 'alarmEmail must be an email'],
  ])('rejects %s %s', (name, value, problem) => {
    const act = () => read({ ...COMPLETE, [name]: value });

    expect(act).toThrow(DeployParameterError);
    expect(act).toThrow(problem);
  });

  it('accepts a domain identity for the sender', () => {
    const parameters = read({ ...COMPLETE, senderIdentity: 'domain' });

    expect(parameters.senderIdentity).toBe('domain');
  });
});
