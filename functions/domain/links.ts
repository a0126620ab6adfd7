import { createHmac, randomBytes } from 'node:crypto';
import { sha256 } from './ids.js';

/*
 * Response links. A link's token is the only key to a response request, so
 * it is never stored, passed between steps or logged: it is recomputed from
 * the request's random nonce and a key derived from the deployment secret
 * whenever an email needs it, and the database keeps only its SHA-256.
 */

/** Shape of a token: 32 bytes of HMAC output in base64url. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A fresh random 32-byte nonce for a response request, in base64url. */
export const newNonce = (): string => randomBytes(32).toString('base64url');

/**
 * The token of one response option of a request:
 * base64url(HMAC-SHA256(key, nonce + "." + option index)).
 */
export const linkToken = (
  key: Buffer,
  nonce: string,
  optionIndex: number,
): string =>
  createHmac('sha256', key)
    .update(`${nonce}.${optionIndex}`)
    .digest('base64url');

/** The stored key of a link item: the SHA-256 of its token, in hex. */
export const linkHash = (token: string): string => sha256(token);

/** True when a value could be a token this product gave out. */
export const isTokenShaped = (value: string): boolean =>
  TOKEN_PATTERN.test(value);

/** The public URL of a link, built from the configured base URL only. */
export const linkUrl = (publicBaseUrl: string, token: string): string =>
  `${publicBaseUrl.replace(/\/+$/, '')}/r/${token}`;
