import type { Alert, User } from '../functions/domain/model.js';
import { forEachLimited } from './stats.js';

/**
 * The benchmark's own organisation, written through the product's
 * repositories (the same items the import and the API write). Every person
 * and case is numbered so that emails and notes can be matched to runs.
 */

/** A person of the organisation, with the case opened on them if any. */
export interface Subject {
  readonly userId: string;
  readonly displayName: string;
  readonly email: string;
  readonly managerId: string;
  readonly managerEmail: string;
  readonly caseId?: string;
}

/** How a group of subjects is made. */
export interface SubjectOptions {
  /** Prefix of ids and addresses; unique per group. */
  readonly prefix: string;
  readonly count: number;
  /** How many subjects share one manager; 1 gives each their own. */
  readonly perManager: number;
  /** Opens an Active case on each subject with this many alerts. */
  readonly alertsPerCase?: number;
  /** Writes writes in flight at once. */
  readonly concurrency?: number;
}

export const BENCH_POLICY = {
  policyId: 'pol-bench-leaks',
  name: 'Benchmark data leaks',
  template: 'General data leaks',
} as const;

const SEVERITIES: readonly Alert['severity'][] = ['High', 'Medium', 'Low'];

const pad = (value: number): string => String(value).padStart(6, '0');

/** The numbered subjects of a group, before anything is written. */
export const planSubjects = (options: SubjectOptions): Subject[] =>
  Array.from({ length: options.count }, (_, index) => {
    const manager = Math.floor(index / options.perManager);
    const managerId = `${options.prefix}-mgr-${pad(manager)}`;

    return {
      userId: `${options.prefix}-usr-${pad(index)}`,
      displayName: `Bench Person ${options.prefix} ${pad(index)}`,
      email: `${options.prefix}.usr.${pad(index)}@bench.example`,
      managerId,
      managerEmail: `${options.prefix}.mgr.${pad(manager)}@bench.example`,
      ...(options.alertsPerCase === undefined
        ? {}
        : { caseId: `${options.prefix}-case-${pad(index)}` }),
    };
  });

/** Writes the subjects, their managers, cases and alerts. */
export const seedSubjects = async (
  options: SubjectOptions,
): Promise<Subject[]> => {
  const directory = await import('../functions/domain/directory.js');
  const subjects = planSubjects(options);
  const managers = new Map<string, User>();
  for (const subject of subjects) {
    managers.set(subject.managerId, {
      userId: subject.managerId,
      displayName: `Bench Manager ${subject.managerId}`,
      email: subject.managerEmail,
      riskLevel: 'none',
    });
  }
  const limit = options.concurrency ?? 8;
  await forEachLimited([...managers.values()], limit, async (manager) => {
    await directory.putUser(manager);
  });
  await forEachLimited(subjects, limit, (subject) =>
    seedSubject(subject, options.alertsPerCase),
  );

  return subjects;
};

const seedSubject = async (
  subject: Subject,
  alertsPerCase: number | undefined,
): Promise<void> => {
  const directory = await import('../functions/domain/directory.js');
  await directory.putUser({
    userId: subject.userId,
    displayName: subject.displayName,
    email: subject.email,
    managerId: subject.managerId,
    riskLevel: 'moderate',
    ...(subject.caseId ? { activeCaseId: subject.caseId } : {}),
  });
  if (subject.caseId && alertsPerCase !== undefined) {
    await seedCase(subject, subject.caseId, alertsPerCase);
  }
};

const seedCase = async (
  subject: Subject,
  caseId: string,
  alertCount: number,
): Promise<void> => {
  const cases = await import('../functions/domain/cases.js');
  const openedAt = '2026-11-01T09:00:00.000Z';
  await cases.putCaseIfAbsent({
    caseId,
    name: `Benchmark case ${caseId}`,
    status: 'Active',
    userId: subject.userId,
    openedAt,
    updatedAt: openedAt,
    updatedBy: 'bench',
  });
  for (let index = 0; index < alertCount; index += 1) {
    await cases.putAlert({
      alertId: `${caseId}-alert-${index}`,
      userId: subject.userId,
      policyId: BENCH_POLICY.policyId,
      policyName: BENCH_POLICY.name,
      severity: SEVERITIES[index % SEVERITIES.length] ?? 'Low',
      status: 'Confirmed',
      detectedAt: `2026-11-0${(index % 9) + 1}T10:00:00.000Z`,
      caseId,
    });
  }
};

/** Writes the benchmark policy. */
export const seedPolicy = async (): Promise<void> => {
  const directory = await import('../functions/domain/directory.js');
  await directory.putPolicy({ ...BENCH_POLICY });
};

/** Puts subjects in the policy's scope directly (setup, not measured). */
export const addToPolicyDirectly = async (
  subjects: readonly Subject[],
  concurrency = 8,
): Promise<void> => {
  const directory = await import('../functions/domain/directory.js');
  await forEachLimited(subjects, concurrency, async (subject) => {
    await directory.addPolicyMember({
      policyId: BENCH_POLICY.policyId,
      userId: subject.userId,
      addedAt: new Date().toISOString(),
      addedBy: 'bench',
    });
  });
};
