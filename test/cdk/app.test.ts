import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { useScratchTmpdir } from './stack-fixture.js';

const cleanTmpdir = useScratchTmpdir();
afterAll(cleanTmpdir);

/** Runs the CDK app the way the CLI does, with context in the environment. */
const runApp = (context: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
    env: {
      ...process.env,
      CDK_CONTEXT_JSON: JSON.stringify(context),
      CDK_OUTDIR: join(process.env.TMPDIR ?? '.tmp', 'cdk.out'),
    },
    encoding: 'utf8',
    timeout: 30_000,
  });

describe('bin/app.ts', () => {
  it('stops with the names of the missing parameters', () => {
    const result = runApp({ stage: 'prod', senderAddress: 'irm@contoso.com' });

    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'Missing deploy parameters: publicBaseUrl, allowedOrigins, ' +
        'serviceNowSecretName, serviceNowInstanceUrl. Pass each with ' +
        '-c name=value (docs/deploy.md lists them all).',
    );
  });
});
