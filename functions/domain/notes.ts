import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.js';
import { tableName } from './config.js';
import { call, isConditionFailure, type Page, queryPage } from './db.js';
import type { Note } from './model.js';

/*
 * Case notes are permanent: this module has no update or delete, and the
 * IAM policies give no function the right to either.
 */

/**
 * Adds a note once per `noteKey`. A retry with the same key returns the note
 * first written and `created: false`, so a retried step adds one note.
 */
export const addNote = async (
  note: Note,
): Promise<{ note: Note; created: boolean }> => {
  try {
    await call(() =>
      dynamo.send(
        new PutCommand({
          TableName: tableName('notes'),
          Item: note,
          ConditionExpression: 'attribute_not_exists(noteKey)',
        }),
      ),
    );

    return { note, created: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    const answer = await call(() =>
      dynamo.send(
        new GetCommand({
          TableName: tableName('notes'),
          Key: { caseId: note.caseId, noteKey: note.noteKey },
        }),
      ),
    );

    return { note: answer.Item as Note, created: false };
  }
};

/** A case's notes in the order they were written. */
export const listNotes = (
  caseId: string,
  limit: number,
  cursor?: string,
): Promise<Page<Note>> =>
  queryPage<Note>(
    {
      TableName: tableName('notes'),
      IndexName: 'byTime',
      KeyConditionExpression: 'caseId = :caseId',
      ExpressionAttributeValues: { ':caseId': caseId },
    },
    limit,
    cursor,
  );
