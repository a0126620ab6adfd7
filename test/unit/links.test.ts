import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  isTokenShaped,
  linkHash,
  linkToken,
  linkUrl,
  newNonce,
} from '../../functions/domain/links.js';

const key = Buffer.alloc(32, 7);

describe('response links', () => {
  it('derives the same token from the same nonce and option', () => {
    // Prepare
    const nonce = newNonce();

    // Act
    const first = linkToken(key, nonce, 1);
    const again = linkToken(key, nonce, 1);

    // Assess
    expect(again).toBe(first);
    expect(isTokenShaped(first)).toBe(true);
  });

  it('derives a different token for each option, nonce and key', () => {
    // Prepare
    const nonce = newNonce();

    // Act
    const tokens = new Set([
      linkToken(key, nonce, 0),
      linkToken(key, nonce, 1),
      linkToken(key, newNonce(), 0),
      linkToken(Buffer.alloc(32, 8), nonce, 0),
    ]);

    // Assess
    expect(tokens.size).toBe(4);
  });

  it('maps a token to the hex SHA-256 that keys its link item', () => {
    // Prepare
    const token = linkToken(key, newNonce(), 0);

    // Act
    const hash = linkHash(token);

    // Assess
    expect(hash).toBe(createHash('sha256').update(token).digest('hex'));
    expect(hash).not.toContain(token);
  });

  it.each([
    ['', false],
    ['short', false],
    ['a'.repeat(43), true],
    [`${'a'.repeat(42)}/`, false],
    ['a'.repeat(44), false],
  ])('recognises the shape of %j as %s', (value, expected) => {
    // Act
    const shaped = isTokenShaped(value);

    // Assess
    expect(shaped).toBe(expected);
  });

  it('builds the link from the configured base URL', () => {
    // Act
    const url = linkUrl('https://irm.example/base/', 'tok');

    // Assess
    expect(url).toBe('https://irm.example/base/r/tok');
  });
});
