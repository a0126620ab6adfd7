import type { StoredEmail } from 'aws-ses-v2-local/dist/store.js';
import { forEachLimited } from './stats.js';

/** An email as the local SES mailbox keeps it. */
export type { StoredEmail } from 'aws-ses-v2-local/dist/store.js';

/** Every email the local SES took, through `GET <mailbox>/store`. */
export const mailboxOverHttp = async (
  mailboxUrl: string,
): Promise<StoredEmail[]> => {
  const response = await fetch(`${mailboxUrl}/store`);
  const store = (await response.json()) as { emails: StoredEmail[] };

  return store.emails;
};

/**
 * Every email the local SES took, read from its in-process store: at tens
 * of thousands of emails `GET /store` would build a response of hundreds of
 * MB, which measures the emulator, not the product.
 */
export const mailboxInProcess = async (): Promise<readonly StoredEmail[]> => {
  const store = await import('aws-ses-v2-local/dist/store.js');

  return store.getStoreReadonly().emails;
};

/** How many emails each recipient got. */
export const emailsByRecipient = (
  emails: readonly StoredEmail[],
): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const email of emails) {
    for (const to of email.destination.to) {
      counts.set(to, (counts.get(to) ?? 0) + 1);
    }
  }

  return counts;
};

/** Expected against received: emails missing and emails too many. */
export interface DeliveryCheck {
  readonly expected: number;
  readonly received: number;
  readonly missing: number;
  readonly duplicates: number;
}

/** Compares what each key received with what it should have. */
export const compareCounts = (
  expected: ReadonlyMap<string, number>,
  received: ReadonlyMap<string, number>,
): DeliveryCheck => {
  let missing = 0;
  let duplicates = 0;
  let expectedTotal = 0;
  let receivedTotal = 0;
  for (const [key, want] of expected) {
    const got = received.get(key) ?? 0;
    expectedTotal += want;
    receivedTotal += got;
    missing += Math.max(0, want - got);
    duplicates += Math.max(0, got - want);
  }

  return {
    expected: expectedTotal,
    received: receivedTotal,
    missing,
    duplicates,
  };
};

/** Flow notes per run on the given cases, read through the product. */
export const flowNotesByRun = async (
  caseIds: readonly string[],
): Promise<Map<string, number>> => {
  const notes = await import('../functions/domain/notes.js');
  const counts = new Map<string, number>();
  await forEachLimited(caseIds, 8, async (caseId) => {
    let cursor: string | undefined;
    do {
      const page = await notes.listNotes(caseId, 100, cursor);
      for (const note of page.items) {
        const runId = note.author.runId;
        if (note.source === 'flow' && runId) {
          counts.set(runId, (counts.get(runId) ?? 0) + 1);
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
  });

  return counts;
};
