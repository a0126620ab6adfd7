import type { webcrypto } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { ROLE_GROUPS, type RoleGroup } from '../functions/domain/model.js';

/**
 * Stands in for Cognito on one machine: signs tokens with a local key and
 * verifies them the way the HTTP API's JWT authorizer does (signature,
 * issuer, audience, expiry, and an issue time that is not in the future).
 */
export interface LocalAuth {
  readonly issuer: string;
  readonly audience: string;
  issue(userId: string, groups: readonly RoleGroup[]): Promise<string>;
  verify(token: string): Promise<Record<string, unknown>>;
}

const ALGORITHM = 'ES256';
/** Clock skew allowed on `iat`, in seconds: a minute, as API Gateway. */
const MAX_FUTURE_IAT_SECONDS = 60;
export const LOCAL_AUDIENCE = 'irm-local-client';
export const LOCAL_ISSUER = 'https://local-cognito.invalid/irm-local';

type CryptoKey = webcrypto.CryptoKey;
type KeyPair = { privateKey: CryptoKey; publicKey: CryptoKey };

const loadOrCreateKeys = async (file?: string): Promise<KeyPair> => {
  if (file && existsSync(file)) {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as {
      privateJwk: JWK;
      publicJwk: JWK;
    };

    return {
      privateKey: (await importJWK(stored.privateJwk, ALGORITHM)) as CryptoKey,
      publicKey: (await importJWK(stored.publicJwk, ALGORITHM)) as CryptoKey,
    };
  }
  const keys = await generateKeyPair(ALGORITHM, { extractable: true });
  if (file) {
    const privateJwk = await exportJWK(keys.privateKey);
    const publicJwk = await exportJWK(keys.publicKey);
    writeFileSync(file, JSON.stringify({ privateJwk, publicJwk }), {
      mode: 0o600,
    });
  }

  return keys;
};

/** Creates the local token service; with `keyFile` tokens survive restarts. */
export const createLocalAuth = async (keyFile?: string): Promise<LocalAuth> => {
  const keys = await loadOrCreateKeys(keyFile);

  return {
    issuer: LOCAL_ISSUER,
    audience: LOCAL_AUDIENCE,
    issue: (userId, groups) =>
      new SignJWT({
        'cognito:username': userId,
        'cognito:groups': [...groups],
        token_use: 'id',
      })
        .setProtectedHeader({ alg: ALGORITHM })
        .setSubject(userId)
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime('12h')
        .sign(keys.privateKey),
    verify: async (token) => {
      const { payload } = await jwtVerify(token, keys.publicKey, {
        issuer: LOCAL_ISSUER,
        audience: LOCAL_AUDIENCE,
        algorithms: [ALGORITHM],
      });
      const now = Math.floor(Date.now() / 1000);
      if (
        payload.iat !== undefined &&
        payload.iat > now + MAX_FUTURE_IAT_SECONDS
      ) {
        throw new Error('The token was issued in the future');
      }

      return payload as Record<string, unknown>;
    },
  };
};

/** One demo person per role group, named after what they do. */
export const DEMO_ACCOUNTS: readonly { userId: string; group: RoleGroup }[] =
  ROLE_GROUPS.map((group) => ({
    userId: `demo-${
      group.replace('InsiderRiskManagement', '').toLowerCase() || 'irm'
    }`,
    group,
  }));
