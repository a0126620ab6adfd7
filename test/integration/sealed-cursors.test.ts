import type { LocalStack } from '../../local/stack.js';
import { seedOrganisation } from '../support/seed.js';
import { apiCall, startTestStack } from '../support/stack.js';

/*
 * While users are pseudonymised the API seals its cursors: one it did not
 * give out is still a 400 that says so, sealed or not.
 */

const IRM = 'InsiderRiskManagement';
const FOREIGN = 'The cursor is not one this API gave out';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
  await seedOrganisation();
});

afterAll(async () => {
  await stack.close();
});

describe('cursors while users are pseudonymised', () => {
  it.each(['/cases', '/users', '/cases/case-test-1/notes', '/flows/f1/runs'])(
    'answers GET %s with an unsealed made-up cursor with 400',
    async (path) => {
      const answer = await apiCall(stack, 'GET', `${path}?cursor=eyJ4IjoxfQ`, {
        group: IRM,
      });

      expect(answer.status).toBe(400);
      expect(answer.body.message).toBe(FOREIGN);
    },
  );

  it('answers a sealed cursor of the users list on the cases list with 400', async () => {
    const users = await apiCall(stack, 'GET', '/users?limit=1', { group: IRM });
    const cursor = users.body.nextCursor as string;

    const answer = await apiCall(stack, 'GET', `/cases?cursor=${cursor}`, {
      group: IRM,
    });

    expect(cursor).toMatch(/^p\./);
    expect(answer.status).toBe(400);
    expect(answer.body.message).toBe(FOREIGN);
  });

  it('pages on with the sealed cursor it gave out', async () => {
    const first = await apiCall(stack, 'GET', '/users?limit=1', { group: IRM });

    const next = await apiCall(
      stack,
      'GET',
      `/users?limit=1&cursor=${first.body.nextCursor as string}`,
      { group: IRM },
    );

    expect(next.status).toBe(200);
    expect(next.body.users).not.toEqual(first.body.users);
  });
});
