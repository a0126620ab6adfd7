import { z } from 'zod';
import { parseInput } from '../domain/action.js';
import { auditActor, recordAudit } from '../domain/audit.js';
import {
  addPolicyMember,
  getUser,
  listMembershipsOfUser,
  listPolicies,
  listUsers,
  requirePolicy,
  requireUser,
} from '../domain/directory.js';
import { idSchema } from '../domain/model.js';
import { listNotificationsOfUser } from '../domain/notifications.js';
import { type ApiRequest, type ApiResponse, pageLimit } from './http.js';

/**
 * A page of users, ordered by display name (the `byKind` index sorts by
 * `sortName`). While pseudonymisation is on, the page is shown by alias but
 * keeps the order of the real display names: ordering by alias would mean
 * reading every user on each request, so the order says a little about the
 * names behind the aliases.
 */
export const listUsersRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const page = await listUsers(pageLimit(request.query), request.query.cursor);

  return {
    status: 200,
    body: { users: page.items, nextCursor: page.nextCursor },
  };
};

export const getUserRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const user = await requireUser(request.params.userId ?? '');
  const manager = user.managerId ? await getUser(user.managerId) : undefined;
  const policies = await listMembershipsOfUser(user.userId);

  return {
    status: 200,
    body: { user, manager: manager ?? null, policies },
  };
};

export const listPoliciesRoute = async (): Promise<ApiResponse> => ({
  status: 200,
  body: { policies: await listPolicies() },
});

const memberBody = z.object({ userId: idSchema }).strict();

/**
 * Adds a user to a policy's scope: 201 the first time, 200 with the
 * original time when the user was already in scope.
 */
export const addPolicyMemberRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const body = parseInput(memberBody, request.body, 'body');
  const policy = await requirePolicy(request.params.policyId ?? '');
  await requireUser(body.userId);
  const result = await addPolicyMember({
    policyId: policy.policyId,
    userId: body.userId,
    addedAt: new Date().toISOString(),
    addedBy: request.actor.userId,
  });

  if (result.added) {
    await recordAudit({
      eventId: `member-${policy.policyId}-${body.userId}`,
      actor: auditActor(request.actor),
      category: 'policies',
      action: 'policy.user-added',
      target: { type: 'policy', id: policy.policyId },
      after: { userId: body.userId, addedAt: result.member.addedAt },
    });
  }

  return {
    status: result.added ? 201 : 200,
    body: { member: result.member, added: result.added },
  };
};

/** The tracking records of messages sent about a user, newest first. */
export const listUserNotificationsRoute = async (
  request: ApiRequest,
): Promise<ApiResponse> => {
  const user = await requireUser(request.params.userId ?? '');
  const page = await listNotificationsOfUser(
    user.userId,
    pageLimit(request.query),
    request.query.cursor,
  );

  return {
    status: 200,
    body: { notifications: page.items, nextCursor: page.nextCursor },
  };
};
