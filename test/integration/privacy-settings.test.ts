import { ROLE_GROUPS } from '../../functions/domain/model.js';
import type { LocalStack } from '../../local/stack.js';
import { apiCall, startTestStack } from '../support/stack.js';

const IRM = 'InsiderRiskManagement';
const ADMIN = 'InsiderRiskManagementAdmins';
const CHANGERS: readonly string[] = [IRM, ADMIN];

let stack: LocalStack;

beforeAll(async () => {
  stack = await startTestStack();
});

afterAll(async () => {
  await stack.close();
});

const setPrivacy = (group: string, body: unknown) =>
  apiCall(stack, 'PUT', '/settings/privacy', { group, body });

const settingsEvents = async () => {
  const answer = await apiCall(stack, 'GET', '/audit?category=settings', {
    group: IRM,
  });

  return answer.body.events as {
    action: string;
    actor: { userId: string; groups: string[] };
    target: { type: string; id: string };
    before: unknown;
    after: unknown;
  }[];
};

describe('the privacy setting', () => {
  it.each(ROLE_GROUPS)(
    'shows %s that users are pseudonymised by default',
    async (group) => {
      const answer = await apiCall(stack, 'GET', '/settings/privacy', {
        group,
      });

      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        pseudonymise: true,
        updatedAt: null,
        updatedBy: null,
      });
    },
  );

  it('refuses a caller without a token', async () => {
    const answer = await apiCall(stack, 'GET', '/settings/privacy');

    expect(answer.status).toBe(401);
  });

  it.each(ROLE_GROUPS.filter((group) => !CHANGERS.includes(group)))(
    'refuses %s a change with 403 and changes nothing',
    async (group) => {
      const answer = await setPrivacy(group, { pseudonymise: false });

      expect(answer.status).toBe(403);
      const setting = await apiCall(stack, 'GET', '/settings/privacy', {
        group: IRM,
      });
      expect(setting.body.pseudonymise).toBe(true);
    },
  );

  it.each([
    [{ pseudonymise: 'no' }, 'pseudonymise'],
    [{}, 'pseudonymise'],
    [{ pseudonymise: false, extra: 1 }, 'extra'],
    [[], 'body'],
  ])('answers 400 naming the field for %j', async (body, field) => {
    const answer = await setPrivacy(IRM, body);

    expect(answer.status).toBe(400);
    expect(answer.body.fields).toEqual(
      expect.arrayContaining([expect.objectContaining({ field })]),
    );
  });

  it('lets an admin turn it off and audits the change with before and after', async () => {
    const answer = await setPrivacy(ADMIN, { pseudonymise: false });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      pseudonymise: false,
      updatedBy: 'demo-admins',
      changed: true,
    });
    const read = await apiCall(stack, 'GET', '/settings/privacy', {
      group: 'InsiderRiskManagementApprovers',
    });
    expect(read.body).toEqual({
      pseudonymise: false,
      updatedAt: answer.body.updatedAt,
      updatedBy: 'demo-admins',
    });
    const [event] = (await settingsEvents()).filter(
      (e) => e.action === 'privacy.turned-off',
    );
    expect(event).toMatchObject({
      actor: { userId: 'demo-admins', groups: [ADMIN] },
      target: { type: 'setting', id: 'privacy' },
      before: { pseudonymise: true },
      after: { pseudonymise: false },
    });
  });

  it('records nothing when the value does not change', async () => {
    const before = (await settingsEvents()).length;

    const answer = await setPrivacy(IRM, { pseudonymise: false });

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ pseudonymise: false, changed: false });
    expect((await settingsEvents()).length).toBe(before);
  });

  it('lets InsiderRiskManagement turn it on again, audited too', async () => {
    const answer = await setPrivacy(IRM, { pseudonymise: true });

    expect(answer.body).toMatchObject({ pseudonymise: true, changed: true });
    const [event] = (await settingsEvents()).filter(
      (e) => e.action === 'privacy.turned-on',
    );
    expect(event).toMatchObject({
      actor: { userId: 'demo-irm' },
      before: { pseudonymise: false },
      after: { pseudonymise: true },
    });
  });
});
