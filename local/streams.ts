import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { ALL_FUNCTIONS } from '../functions/catalog.js';
import {
  physicalTableName,
  TABLES,
  type TableId,
  type TableSpec,
} from '../functions/domain/tables.js';
import { LOCAL_REGION } from './lambdas.js';
import { closeServer, listen } from './net.js';
import {
  type CapturedChange,
  itemToWire,
  keyFromWire,
  StreamRecordFactory,
  type WireItem,
} from './stream-records.js';

/**
 * DynamoDB Streams for the local stack, which dynalite lacks.
 *
 * Design: an HTTP proxy in front of dynalite. The handlers' (and the
 * tests') `AWS_ENDPOINT_URL_DYNAMODB` points at the proxy, which forwards
 * every request unchanged. Around each PutItem, UpdateItem, DeleteItem and
 * BatchWriteItem that touches a table whose spec has `stream: true`, it
 * reads the items before and after the write straight from dynalite and,
 * when the write succeeded and changed an item, builds a stream record
 * (NEW_AND_OLD_IMAGES). Each record goes, after the answer to the writer,
 * to every catalog function whose `streams` names the table, through
 * `LocalLambdas.invoke`: one record per invocation, in order per item key,
 * a few at a time, retried a few times when the handler throws or reports
 * the record in `batchItemFailures`, then kept in `deadLetters` and logged.
 * The handler code is the one that runs on AWS; nothing in it knows it
 * runs here, and stopping the stack first waits for `settled`.
 *
 * Limits: writes to streamed tables are serialised through the proxy so
 * that the before and after reads bracket the write exactly, which is
 * plenty for one machine and nothing like DynamoDB's throughput. Writes
 * that bypass the proxy (straight to dynalite) emit nothing, and neither
 * do TransactWriteItems and PartiQL, which dynalite does not support. A
 * record is delivered alone, not in batches of up to ten, and nothing is
 * delivered twice unless the handler fails it. Dead letters live in memory
 * only, and records are lost when the process stops before delivering them.
 */

/** Calls a function of the catalog by name (the local Lambda runtime). */
export interface StreamInvoker {
  invoke(name: string, event: unknown): Promise<unknown>;
}

/** A record that kept failing, with the last reason. */
export interface StreamDeadLetter {
  readonly consumer: string;
  readonly record: DynamoDBRecord;
  readonly attempts: number;
  readonly error: string;
}

export interface LocalStreams {
  /** The DynamoDB endpoint to give clients instead of dynalite's. */
  readonly url: string;
  /** Records no consumer could handle after every retry, oldest first. */
  readonly deadLetters: readonly StreamDeadLetter[];
  /** Resolves once every change made so far has been delivered. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export interface LocalStreamsOptions {
  readonly port: number;
  /** The setting that chooses the port, named when it is in use. */
  readonly portSetting?: string;
  /** dynalite's own endpoint. */
  readonly dynamoUrl: string;
  readonly stage: string;
  readonly lambdas: StreamInvoker;
  /** Deliveries after the first; 3 when absent. */
  readonly retries?: number;
  /** Wait before the n-th retry is n times this; 50 ms when absent. */
  readonly retryDelayMs?: number;
  /** Deliveries under way at once, like a few shards; 4 when absent. */
  readonly concurrency?: number;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

/** One table with a stream: its model and who reads the stream. */
interface StreamedTable {
  readonly spec: TableSpec;
  readonly consumers: readonly string[];
}

const streamedTables = (stage: string): Map<string, StreamedTable> => {
  const entries = Object.entries(TABLES) as [TableId, TableSpec][];

  return new Map(
    entries
      .filter(([, spec]) => spec.stream)
      .map(([tableId, spec]) => [
        physicalTableName(stage, spec),
        {
          spec,
          consumers: ALL_FUNCTIONS.filter((fn) =>
            fn.streams?.includes(tableId),
          ).map((fn) => fn.name),
        },
      ]),
  );
};

const keyOf = (spec: TableSpec, item: WireItem): WireItem => {
  const names = [spec.partitionKey.name, spec.sortKey?.name];

  return Object.fromEntries(
    Object.entries(item).filter(([name]) => names.includes(name)),
  );
};

interface WriteBody {
  TableName?: string;
  Item?: WireItem;
  Key?: WireItem;
  RequestItems?: Record<
    string,
    { PutRequest?: { Item: WireItem }; DeleteRequest?: { Key: WireItem } }[]
  >;
}

/** The items a write request touches, as [table name, key] pairs. */
const touchedKeys = (action: string, body: WriteBody): [string, WireItem][] => {
  if (WRITES.has(action) && body.TableName) {
    const key = body.Key ?? body.Item;

    return key ? [[body.TableName, key]] : [];
  }
  if (action !== 'BatchWriteItem') return [];

  return Object.entries(body.RequestItems ?? {}).flatMap(([table, requests]) =>
    requests.flatMap((request): [string, WireItem][] => {
      const key = request.PutRequest?.Item ?? request.DeleteRequest?.Key;

      return key ? [[table, key]] : [];
    }),
  );
};

interface Forwarded {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

const readBody = async (request: IncomingMessage): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);

  return Buffer.concat(chunks);
};

const KEPT_ANSWER_HEADERS = ['content-type', 'x-amz-crc32', 'x-amzn-requestid'];

class StreamProxy {
  private readonly tables: Map<string, StreamedTable>;
  private readonly reader: DynamoDBClient;
  private readonly records = new StreamRecordFactory();
  private readonly queues = new Map<string, Promise<void>>();
  private readonly pending = new Set<Promise<void>>();
  private writeTail: Promise<unknown> = Promise.resolve();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  readonly deadLetters: StreamDeadLetter[] = [];

  constructor(private readonly options: LocalStreamsOptions) {
    this.tables = streamedTables(options.stage);
    this.reader = new DynamoDBClient({
      endpoint: options.dynamoUrl,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  /** Answers one DynamoDB request, capturing the changes it makes. */
  handle = async (
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<void> => {
    try {
      const body = await readBody(request);
      const target = String(request.headers['x-amz-target'] ?? '');
      const action = target.slice(target.indexOf('.') + 1);
      const keys = this.streamedKeys(action, body);
      const answer =
        keys.length === 0
          ? await this.forward(request, body)
          : await this.serialised(() => this.capture(request, body, keys));
      response.writeHead(answer.status, answer.headers);
      response.end(answer.body);
    } catch (error) {
      console.error(
        JSON.stringify({
          message: 'Local stream proxy failed',
          error: String(error),
        }),
      );
      response.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify({ __type: 'InternalServerError' }));
    }
  };

  private streamedKeys(action: string, body: Buffer): [string, WireItem][] {
    if (!WRITES.has(action) && action !== 'BatchWriteItem') return [];
    let parsed: WriteBody;
    try {
      parsed = JSON.parse(body.toString('utf8')) as WriteBody;
    } catch {
      // dynalite answers the malformed request with DynamoDB's own error.
      return [];
    }

    return touchedKeys(action, parsed).flatMap(([name, item]) => {
      const table = this.tables.get(name);

      return table
        ? [[name, keyOf(table.spec, item)] as [string, WireItem]]
        : [];
    });
  }

  private async forward(
    request: IncomingMessage,
    body: Buffer,
  ): Promise<Forwarded> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (['host', 'connection', 'content-length'].includes(name)) continue;
      if (typeof value === 'string') headers[name] = value;
    }
    const answer = await fetch(
      `${this.options.dynamoUrl}${request.url ?? '/'}`,
      {
        method: request.method,
        headers,
        body: body.length > 0 ? new Uint8Array(body) : undefined,
      },
    );
    const kept: Record<string, string> = {};
    for (const name of KEPT_ANSWER_HEADERS) {
      const value = answer.headers.get(name);
      if (value !== null) kept[name] = value;
    }

    return {
      status: answer.status,
      headers: kept,
      body: Buffer.from(await answer.arrayBuffer()),
    };
  }

  /** One write at a time, so that the reads around it see only its change. */
  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const result = this.writeTail.then(work, work);
    this.writeTail = result.catch(() => undefined);

    return result;
  }

  private async capture(
    request: IncomingMessage,
    body: Buffer,
    keys: [string, WireItem][],
  ): Promise<Forwarded> {
    const before = await Promise.all(
      keys.map(([name, key]) => this.read(name, key)),
    );
    const answer = await this.forward(request, body);
    if (answer.status !== 200) return answer;
    const after = await Promise.all(
      keys.map(([name, key]) => this.read(name, key)),
    );
    keys.forEach(([tableName, key], index) => {
      const record = this.records.recordOf({
        tableName,
        keys: key,
        before: before[index],
        after: after[index],
      } satisfies CapturedChange);
      if (record) this.publish(tableName, record);
    });

    return answer;
  }

  private async read(
    tableName: string,
    key: WireItem,
  ): Promise<WireItem | undefined> {
    const answer = await this.reader.send(
      new GetItemCommand({
        TableName: tableName,
        Key: keyFromWire(key),
        ConsistentRead: true,
      }),
    );

    return answer.Item && itemToWire(answer.Item);
  }

  /** Queues the record for each consumer, behind earlier ones of its key. */
  private publish(tableName: string, record: DynamoDBRecord): void {
    const consumers = this.tables.get(tableName)?.consumers ?? [];
    for (const consumer of consumers) {
      const queue = `${consumer}#${tableName}#${JSON.stringify(record.dynamodb?.Keys)}`;
      const previous = this.queues.get(queue) ?? Promise.resolve();
      const delivery = previous.then(() =>
        this.limited(() => this.deliver(consumer, record)),
      );
      this.queues.set(queue, delivery);
      this.pending.add(delivery);
      void delivery.finally(() => {
        this.pending.delete(delivery);
        if (this.queues.get(queue) === delivery) this.queues.delete(queue);
      });
    }
  }

  /** Runs the work once a delivery slot is free. */
  private async limited(work: () => Promise<void>): Promise<void> {
    if (this.running < (this.options.concurrency ?? 4)) {
      this.running += 1;
    } else {
      // The slot is handed over by the delivery that finishes first.
      await new Promise<void>((take) => this.waiting.push(take));
    }
    try {
      await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  private async deliver(
    consumer: string,
    record: DynamoDBRecord,
  ): Promise<void> {
    const attempts = 1 + (this.options.retries ?? 3);
    let failure = '';
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      failure = await this.attempt(consumer, record);
      if (failure === '') return;
      if (attempt < attempts) await this.pause(attempt);
    }
    this.deadLetters.push({ consumer, record, attempts, error: failure });
    console.error(
      JSON.stringify({
        message: 'Local stream record dead-lettered',
        consumer,
        eventSourceARN: record.eventSourceARN,
        sequenceNumber: record.dynamodb?.SequenceNumber,
        attempts,
        error: failure,
      }),
    );
  }

  /** Delivers once; answers why it failed, or '' when it did not. */
  private async attempt(
    consumer: string,
    record: DynamoDBRecord,
  ): Promise<string> {
    try {
      const answer = (await this.options.lambdas.invoke(consumer, {
        Records: [record],
      })) as { batchItemFailures?: { itemIdentifier: string }[] } | undefined;
      const failed = answer?.batchItemFailures?.some(
        (item) => item.itemIdentifier === record.dynamodb?.SequenceNumber,
      );

      return failed ? 'reported in batchItemFailures' : '';
    } catch (error) {
      return error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
    }
  }

  private pause(attempt: number): Promise<void> {
    const delay = attempt * (this.options.retryDelayMs ?? 50);

    return new Promise((done) => setTimeout(done, delay));
  }

  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  destroy(): void {
    this.reader.destroy();
  }
}

/**
 * Starts the stream proxy on 127.0.0.1 in front of dynalite. `close` stops
 * taking requests; call `settled` first to let deliveries finish.
 */
export const startStreams = async (
  options: LocalStreamsOptions,
): Promise<LocalStreams> => {
  const proxy = new StreamProxy(options);
  const server = createServer((request, response) => {
    void proxy.handle(request, response);
  });
  await listen(server, options.port, 'DynamoDB streams proxy', {
    portSetting: options.portSetting,
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    deadLetters: proxy.deadLetters,
    settled: () => proxy.settled(),
    close: async () => {
      await closeServer(server);
      proxy.destroy();
    },
  };
};
