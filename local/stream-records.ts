import { randomUUID } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord, AttributeValue as StreamValue } from 'aws-lambda';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './lambdas.js';

/** An item or key as DynamoDB's JSON protocol writes it. */
export type WireItem = Record<string, StreamValue>;

/** An item as the SDK reads it. */
export type SdkItem = Record<string, AttributeValue>;

const base64 = (bytes: Uint8Array): string =>
  Buffer.from(bytes).toString('base64');

/** One value in the stream's JSON form: binary values become base64. */
const toWire = (value: AttributeValue): StreamValue => {
  if (value.B) return { B: base64(value.B) };
  if (value.BS) return { BS: value.BS.map(base64) };
  if (value.L) return { L: value.L.map(toWire) };
  if (value.M) return { M: itemToWire(value.M) };

  // S, N, BOOL, NULL, SS and NS are the same in both forms.
  return value as StreamValue;
};

/** An item read through the SDK, in the form stream records carry. */
export const itemToWire = (item: SdkItem): WireItem =>
  Object.fromEntries(
    Object.entries(item).map(([name, value]) => [name, toWire(value)]),
  );

/** A key from a request body, for an SDK read (keys are S, N or B). */
export const keyFromWire = (key: WireItem): SdkItem =>
  Object.fromEntries(
    Object.entries(key).map(([name, value]): [string, AttributeValue] =>
      value.B !== undefined
        ? [name, { B: Buffer.from(value.B, 'base64') }]
        : value.N !== undefined
          ? [name, { N: value.N }]
          : [name, { S: value.S ?? '' }],
    ),
  );

/** JSON with object keys sorted, so that equal items compare equal. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)),
        )
      : inner,
  );

/**
 * What a write did to one item: INSERT, MODIFY or REMOVE, or nothing when
 * the item is the same before and after (DynamoDB writes no stream record
 * for a write that changes no data).
 */
export const changeKind = (
  before: WireItem | undefined,
  after: WireItem | undefined,
): DynamoDBRecord['eventName'] => {
  if (!before) return after ? 'INSERT' : undefined;
  if (!after) return 'REMOVE';

  return canonical(before) === canonical(after) ? undefined : 'MODIFY';
};

/** The change of one item, captured by the proxy around a write. */
export interface CapturedChange {
  readonly tableName: string;
  readonly keys: WireItem;
  readonly before?: WireItem;
  readonly after?: WireItem;
}

/** Builds stream records the way DynamoDB Streams shapes them. */
export class StreamRecordFactory {
  private sequence = 0;
  /** Stream label: the time the stream was "enabled". */
  private readonly label = new Date().toISOString().slice(0, 23);

  /** The ARN of a table's stream on the local stack. */
  streamArn(tableName: string): string {
    return (
      `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/` +
      `${tableName}/stream/${this.label}`
    );
  }

  /** A record for the change, or undefined when nothing changed. */
  recordOf(change: CapturedChange): DynamoDBRecord | undefined {
    const eventName = changeKind(change.before, change.after);
    if (!eventName) return undefined;
    this.sequence += 1;

    return {
      eventID: randomUUID(),
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: LOCAL_REGION,
      eventSourceARN: this.streamArn(change.tableName),
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: change.keys,
        ...(change.after && { NewImage: change.after }),
        ...(change.before && { OldImage: change.before }),
        SequenceNumber: String(this.sequence).padStart(21, '0'),
        SizeBytes: Buffer.byteLength(
          JSON.stringify([change.keys, change.before, change.after]),
        ),
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    };
  }
}
