import { listPolicies, putPolicy } from '../../functions/domain/directory.js';
import { deterministicId } from '../../functions/domain/ids.js';
import type { Policy } from '../../functions/domain/model.js';
import type { PolicyRef } from './alert-drafts.js';
import { firstCount, type ImportSession, type Tally } from './counts.js';
import { templateFromName } from './policies.js';

/** How a policy reference is keyed: by id, else by name. */
export const policyKey = (ref: PolicyRef): string =>
  ref.policyId ?? `name:${ref.name.toLowerCase()}`;

interface StoredPolicies {
  readonly byId: Map<string, Policy>;
  readonly byName: Map<string, Policy>;
}

const remember = (stored: StoredPolicies, policy: Policy) => {
  stored.byId.set(policy.policyId, policy);
  stored.byName.set(policy.name.toLowerCase(), policy);
};

/** What settling policies counts into, once per policy per run. */
export interface Counting {
  readonly tally: Tally;
  readonly session: ImportSession;
}

const count = (counting: Counting, policyId: string, changed: boolean) => {
  if (!firstCount(counting.session, `policy:${policyId}`)) return;
  if (changed) counting.tally.policies += 1;
  else counting.tally.unchanged.policies += 1;
};

/**
 * The stored policy for a reference, created or renamed as needed. A
 * policy the import defines (CERT scenarios) is written as defined; one
 * known by id keeps its stored template; one known only by name (Graph)
 * is matched by name, else created with an id derived from the name.
 */
const settle = async (
  ref: PolicyRef,
  stored: StoredPolicies,
  counting: Counting,
): Promise<Policy> => {
  const existing = ref.policyId
    ? stored.byId.get(ref.policyId)
    : stored.byName.get(ref.name.toLowerCase());
  const policyId =
    ref.policyId ?? deterministicId('policy', ref.name.toLowerCase());
  const template =
    ref.template ?? existing?.template ?? templateFromName(ref.name);
  const name = ref.policyId || !existing ? ref.name : existing.name;
  if (existing && existing.name === name && existing.template === template) {
    count(counting, existing.policyId, false);

    return existing;
  }
  const policy = {
    ...existing,
    policyId: existing?.policyId ?? policyId,
    name,
    template,
  };
  count(counting, policy.policyId, await putPolicy(policy));

  return policy;
};

/**
 * Makes sure every policy the alerts name is stored, and returns them by
 * policyKey. Policies with ids go first, so that a Graph alert titled
 * with a policy's name finds the policy an Office 365 record created.
 */
export const settlePolicies = async (
  refs: readonly PolicyRef[],
  counting: Counting,
): Promise<Map<string, Policy>> => {
  const stored: StoredPolicies = { byId: new Map(), byName: new Map() };
  for (const policy of await listPolicies()) remember(stored, policy);
  const unique = new Map(refs.map((ref) => [policyKey(ref), ref]));
  const ordered = [...unique.values()].sort(
    (a, b) =>
      Number(a.policyId === undefined) - Number(b.policyId === undefined),
  );
  const settled = new Map<string, Policy>();
  for (const ref of ordered) {
    const policy = await settle(ref, stored, counting);
    remember(stored, policy);
    settled.set(policyKey(ref), policy);
  }

  return settled;
};
