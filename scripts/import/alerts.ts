import { basename } from 'node:path';
import {
  caseName,
  putAlert,
  putCaseIfAbsent,
} from '../../functions/domain/cases.js';
import {
  addPolicyMember,
  claimActiveCase,
} from '../../functions/domain/directory.js';
import { deterministicId } from '../../functions/domain/ids.js';
import {
  advanceCaseUpdate,
  getAlerts,
} from '../../functions/domain/imports.js';
import type { Alert, Policy, User } from '../../functions/domain/model.js';
import { addNote } from '../../functions/domain/notes.js';
import {
  ALERT_FORMATS,
  type AlertDraft,
  latestVersions,
} from './alert-drafts.js';
import { readAlertFile } from './alert-files.js';
import { policyKey, settlePolicies } from './alert-policies.js';
import {
  emptyCounts,
  firstCount,
  type ImportCounts,
  type ImportSession,
  newSession,
  type Tally,
} from './counts.js';
import { assertReadable } from './files.js';
import { runBounded, WRITE_CONCURRENCY } from './pool.js';
import { type ImportReport, lineOrderedReport } from './report.js';
import { loadUserLookup } from './user-lookup.js';

/** Who the import acts as in `updatedBy`, `addedBy` and note authors. */
export const IMPORT_ACTOR = 'import';

/** An alert draft with its user and policy found. */
interface PlacedAlert {
  readonly draft: AlertDraft;
  readonly user: User;
  readonly policy: Policy;
}

/** What every alert of one import shares. */
interface ImportRun {
  readonly file: string;
  readonly report: ImportReport;
  readonly tally: Tally;
  readonly session: ImportSession;
  readonly stored: ReadonlyMap<string, Alert>;
  readonly casesSeen: Set<string>;
  readonly startedAt: string;
  done: number;
}

const sameRecord = (a: object, b: object): boolean => {
  const defined = (record: object) =>
    JSON.stringify(
      Object.entries(record)
        .filter(([, value]) => value !== undefined)
        .sort(([x], [y]) => x.localeCompare(y)),
    );

  return defined(a) === defined(b);
};

const openingNote = (run: ImportRun, caseId: string, placed: PlacedAlert) => ({
  caseId,
  noteKey: 'import-opened',
  text:
    `Case opened by the import of ${ALERT_FORMATS[placed.draft.format]} ` +
    `from ${basename(run.file)}: alert ${placed.draft.alertId} ` +
    `(${placed.policy.name}), detected ${placed.draft.detectedAt}.`,
  author: { kind: 'person' as const, userId: IMPORT_ACTOR },
  source: 'import',
  createdAt: run.startedAt,
});

/**
 * The case a confirmed alert joins: the user's Active case if they have
 * one, else one whose id comes from the user and the file's format, so
 * that importing again finds the same case rather than opening another.
 */
const joinCase = async (run: ImportRun, placed: PlacedAlert) => {
  const { draft, user, policy } = placed;
  const candidate = deterministicId(
    'case',
    'import',
    draft.format,
    user.userId,
  );
  const caseId = await claimActiveCase(user.userId, candidate);
  const opened = await putCaseIfAbsent({
    caseId,
    name: caseName(policy.name, draft.detectedAt),
    status: 'Active',
    userId: user.userId,
    openedAt: draft.detectedAt,
    updatedAt: draft.detectedAt,
    updatedBy: IMPORT_ACTOR,
  });
  if (opened.created) {
    firstCount(run.session, `case:${caseId}`);
    run.tally.cases += 1;
    await addNote(openingNote(run, caseId, placed));
  }

  return caseId;
};

const addToScope = async (run: ImportRun, placed: PlacedAlert) => {
  const addedAt = placed.draft.addedToPolicyAt;
  if (addedAt === undefined) return;
  const { added } = await addPolicyMember({
    policyId: placed.policy.policyId,
    userId: placed.user.userId,
    addedAt,
    addedBy: IMPORT_ACTOR,
  });
  if (added) run.tally.memberships += 1;
  else run.tally.unchanged.memberships += 1;
};

/**
 * The alert to store. An alert already in a case stays in it, and is not
 * sent back to review by an older export that still says Active.
 */
const alertRecord = (
  placed: PlacedAlert,
  stored: Alert | undefined,
  caseId: string | undefined,
): Alert => {
  const { draft, user, policy } = placed;
  const backToReview = caseId !== undefined && draft.status === 'NeedsReview';

  return {
    ...stored,
    alertId: draft.alertId,
    userId: user.userId,
    policyId: policy.policyId,
    policyName: policy.name,
    severity: draft.severity,
    status: backToReview ? 'Confirmed' : draft.status,
    detectedAt: draft.detectedAt,
    title: draft.title,
    caseId,
  };
};

const importAlert = async (run: ImportRun, placed: PlacedAlert) => {
  await addToScope(run, placed);
  const stored = run.stored.get(placed.draft.alertId);
  const caseId =
    stored?.caseId ??
    (placed.draft.status === 'Confirmed'
      ? await joinCase(run, placed)
      : undefined);
  const alert = alertRecord(placed, stored, caseId);
  const changed =
    !(stored && sameRecord(stored, alert)) && (await putAlert(alert));
  if (changed) run.tally.alerts += 1;
  else run.tally.unchanged.alerts += 1;
  if (caseId === undefined) return;
  run.casesSeen.add(caseId);
  if (changed) await advanceCaseUpdate(caseId, IMPORT_ACTOR, alert.detectedAt);
};

/** A user's alerts go in detection order, so their case opens at the first. */
const importUserAlerts = async (run: ImportRun, alerts: PlacedAlert[]) => {
  const ordered = [...alerts].sort((a, b) =>
    a.draft.detectedAt.localeCompare(b.draft.detectedAt),
  );
  for (const placed of ordered) {
    await importAlert(run, placed);
    run.done += 1;
    run.report.progress(run.file, run.done);
  }
};

/** Finds each draft's user; drafts whose user is unknown are rejected. */
const placeUsers = async (
  file: string,
  drafts: readonly AlertDraft[],
  report: ImportReport,
  tally: Tally,
) => {
  const lookup = await loadUserLookup();
  const placed: { draft: AlertDraft; user: User }[] = [];
  for (const draft of drafts) {
    const user = lookup.find(draft.userRefs);
    if (user) {
      placed.push({ draft, user });
      continue;
    }
    tally.rejected += 1;
    report.rejected({
      file,
      where: draft.where,
      reason: `user ${draft.userRefs.join(' / ')} is not in the directory`,
    });
  }

  return placed;
};

const byUser = (alerts: readonly PlacedAlert[]): PlacedAlert[][] => {
  const groups = new Map<string, PlacedAlert[]>();
  for (const placed of alerts) {
    const group = groups.get(placed.user.userId) ?? [];
    group.push(placed);
    groups.set(placed.user.userId, group);
  }

  return [...groups.values()];
};

/**
 * Imports an alerts file: Office 365 records of insider risk alerts, Graph
 * alerts_v2, or the CERT answers CSV, told apart by content. Users must be
 * in the directory already (by user id, or email/UPN); the policies the
 * alerts name are created; confirmed alerts join their user's case.
 * Importing the same file again writes nothing. The file is the source of
 * truth for the alerts it names: an older export imported again puts back
 * the statuses it holds, except that an alert in a case stays in it.
 * Rejected rows are reported in line order once the file is done.
 */
export const importAlerts = async (
  file: string,
  report: ImportReport,
  session: ImportSession = newSession(),
): Promise<ImportCounts> => {
  const held = lineOrderedReport(report);
  try {
    return await importAlertFile(file, held, session);
  } finally {
    held.flush();
  }
};

const importAlertFile = async (
  file: string,
  report: ImportReport,
  session: ImportSession,
): Promise<ImportCounts> => {
  await assertReadable(file);
  const read = await readAlertFile(file, report);
  const tally = emptyCounts();
  tally.rejected += read.rejected;
  const drafts = latestVersions(read.drafts);
  const withUsers = await placeUsers(file, drafts, report, tally);
  const policies = await settlePolicies(
    withUsers.map(({ draft }) => draft.policy),
    { tally, session },
  );
  const run: ImportRun = {
    file,
    report,
    tally,
    session,
    stored: await getAlerts(withUsers.map(({ draft }) => draft.alertId)),
    casesSeen: new Set(),
    startedAt: new Date().toISOString(),
    done: 0,
  };
  const placed = withUsers.map(({ draft, user }) => ({
    draft,
    user,
    policy: policies.get(policyKey(draft.policy)) as Policy,
  }));
  await runBounded(byUser(placed), WRITE_CONCURRENCY, (alerts) =>
    importUserAlerts(run, alerts),
  );
  for (const caseId of run.casesSeen) {
    if (firstCount(session, `case:${caseId}`)) tally.unchanged.cases += 1;
  }

  return tally;
};
