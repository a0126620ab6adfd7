import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CryptoKey, importJWK, type JWK, SignJWT } from 'jose';
import {
  createLocalAuth,
  LOCAL_AUDIENCE,
  LOCAL_ISSUER,
  type LocalAuth,
} from '../../local/auth.js';

let folder: string;
let auth: LocalAuth;
let privateKey: CryptoKey;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'irm-auth-'));
  const keyFile = join(folder, 'jwt-key.json');
  auth = await createLocalAuth(keyFile);
  const stored = JSON.parse(readFileSync(keyFile, 'utf8')) as {
    privateJwk: JWK;
  };
  privateKey = (await importJWK(stored.privateJwk, 'ES256')) as CryptoKey;
});

afterAll(() => {
  rmSync(folder, { recursive: true, force: true });
});

/** A token signed with the local key, issued `skewSeconds` from now. */
const tokenIssuedIn = (skewSeconds: number): Promise<string> => {
  const issuedAt = Math.floor(Date.now() / 1000) + skewSeconds;

  return new SignJWT({ 'cognito:groups': ['InsiderRiskManagement'] })
    .setProtectedHeader({ alg: 'ES256' })
    .setSubject('demo-irm')
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + 3600)
    .sign(privateKey);
};

describe('local token verification', () => {
  it('refuses a token issued more than a minute in the future', async () => {
    const token = await tokenIssuedIn(5 * 60);

    await expect(auth.verify(token)).rejects.toThrow('issued in the future');
  });

  it('accepts a token issued within a minute of clock skew', async () => {
    const token = await tokenIssuedIn(30);

    await expect(auth.verify(token)).resolves.toMatchObject({
      sub: 'demo-irm',
    });
  });

  it('accepts the tokens it issues itself', async () => {
    const token = await auth.issue('demo-irm', ['InsiderRiskManagement']);

    await expect(auth.verify(token)).resolves.toMatchObject({
      'cognito:username': 'demo-irm',
    });
  });
});
