import { TABLES, type TableSpec } from '../functions/domain/tables.js';

/**
 * Records the calls a run makes to DynamoDB, SES, Step Functions and the
 * ServiceNow stand-in, by wrapping the product's own SDK clients (one per
 * process, in `functions/domain/clients.ts`) and `fetch`. The floor script
 * replays the DynamoDB, SES and ServiceNow calls in the same order, through
 * the same clients and endpoints.
 */

/** The services a run reaches. */
export type Service = 'dynamodb' | 'ses' | 'sfn' | 'servicenow';

/** An SDK command as the clients send it. */
interface SdkCommand {
  readonly input: Record<string, unknown>;
}

type CommandClass = new (input: Record<string, unknown>) => SdkCommand;
type Send = (command: SdkCommand, ...rest: unknown[]) => Promise<unknown>;

/** A ServiceNow Table API request. */
export interface HttpCall {
  readonly url: string;
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** One call, with what DynamoDB says it consumed. */
export interface RecordedCall {
  readonly service: Service;
  /** The command's class name (`PutCommand`) or the HTTP method. */
  readonly operation: string;
  readonly input: Record<string, unknown>;
  readonly commandClass?: CommandClass;
  readonly http?: HttpCall;
  /** Read or write units reported by DynamoDB (ReturnConsumedCapacity). */
  readUnits?: number;
  writeUnits?: number;
  /** Name of the error the call ended with, if it failed. */
  error?: string;
}

const READS = new Set(['GetCommand', 'QueryCommand', 'BatchGetCommand']);
const WRITES = new Set([
  'PutCommand',
  'UpdateCommand',
  'DeleteCommand',
  'BatchWriteCommand',
]);

/** Applies `change` to every string inside a plain JSON-like value. */
export const mapStrings = (
  value: unknown,
  change: (text: string) => string,
): unknown => {
  if (typeof value === 'string') return change(value);
  if (Array.isArray(value)) return value.map((v) => mapStrings(v, change));
  if (value && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, mapStrings(v, change)]),
    );
  }

  return value;
};

const copy = <T>(value: T): T => mapStrings(value, (text) => text) as T;

/** The product's SDK clients, as this process loaded them. */
export type ProductClients = Awaited<ReturnType<typeof productClients>>;

/** Loads the product's SDK clients (after the stack set the environment). */
export const productClients = async () => {
  const clients = await import('../functions/domain/clients.js');

  return {
    dynamo: clients.dynamo as unknown as { send: Send },
    ses: clients.ses as unknown as { send: Send },
    sfn: clients.sfn as unknown as { send: Send },
  };
};

/** Options of a recording. */
export interface RecorderOptions {
  /** Base URL of the ServiceNow stand-in: fetches under it are recorded. */
  readonly serviceNowUrl: string;
  /** Asks DynamoDB for ConsumedCapacity on every read and write. */
  readonly capacity: boolean;
}

/** Wraps the clients while recording; `stop()` puts them back. */
export class CallRecorder {
  readonly calls: RecordedCall[] = [];
  private readonly restorers: (() => void)[] = [];

  constructor(private readonly options: RecorderOptions) {}

  /** Starts recording every call of this process. */
  async start(): Promise<void> {
    const { dynamo, ses, sfn } = await productClients();
    this.patch(dynamo, 'dynamodb');
    this.patch(ses, 'ses');
    this.patch(sfn, 'sfn');
    this.patchFetch();
  }

  /** Stops recording. */
  stop(): void {
    for (const restore of this.restorers.splice(0).reverse()) restore();
  }

  private patch(client: { send: Send }, service: Service): void {
    const hadOwn = Object.hasOwn(client, 'send');
    const original = client.send;
    const bound: Send = original.bind(client);
    client.send = (command, ...rest) =>
      this.sendRecorded(service, bound, command, rest);
    this.restorers.push(() => {
      if (hadOwn) client.send = original;
      else Reflect.deleteProperty(client, 'send');
    });
  }

  private async sendRecorded(
    service: Service,
    send: Send,
    command: SdkCommand,
    rest: unknown[],
  ): Promise<unknown> {
    const operation = command.constructor.name;
    const call: RecordedCall = {
      service,
      operation,
      input: copy(command.input),
      commandClass: command.constructor as CommandClass,
    };
    this.calls.push(call);
    const measured = service === 'dynamodb' && this.options.capacity;
    if (measured && (READS.has(operation) || WRITES.has(operation))) {
      command.input.ReturnConsumedCapacity = 'TOTAL';
    }
    try {
      const output = await send(command, ...rest);
      if (measured) recordCapacity(call, output);

      return output;
    } catch (error) {
      call.error = error instanceof Error ? error.name : 'Error';
      // A refused conditional write still costs a write unit on AWS.
      if (measured && WRITES.has(operation)) call.writeUnits = 1;
      throw error;
    }
  }

  private patchFetch(): void {
    const original = globalThis.fetch;
    const prefix = this.options.serviceNowUrl;
    globalThis.fetch = (resource, init) => {
      const url = typeof resource === 'string' ? resource : String(resource);
      if (url.startsWith(prefix)) this.calls.push(httpCall(url, init));

      return original(resource, init);
    };
    this.restorers.push(() => {
      globalThis.fetch = original;
    });
  }
}

const httpCall = (url: string, init?: RequestInit): RecordedCall => {
  const headers = Object.fromEntries(new Headers(init?.headers).entries());
  const method = init?.method ?? 'GET';
  const body = typeof init?.body === 'string' ? init.body : undefined;

  return {
    service: 'servicenow',
    operation: method,
    input: {},
    http: { url, method, headers, ...(body ? { body } : {}) },
  };
};

const unitsIn = (consumed: unknown): number | undefined => {
  if (Array.isArray(consumed)) {
    return consumed.reduce<number>((sum, one) => sum + (unitsIn(one) ?? 0), 0);
  }
  if (consumed && typeof consumed === 'object') {
    const units = (consumed as { CapacityUnits?: number }).CapacityUnits;

    return typeof units === 'number' ? units : undefined;
  }

  return undefined;
};

const recordCapacity = (call: RecordedCall, output: unknown): void => {
  const units = unitsIn(
    (output as { ConsumedCapacity?: unknown }).ConsumedCapacity,
  );
  if (units === undefined) return;
  if (READS.has(call.operation)) call.readUnits = units;
  else call.writeUnits = units + indexWriteUnits(call);
};

const specByTableName = (): Map<string, TableSpec> =>
  new Map(
    Object.values(TABLES).map((spec) => [process.env[spec.env] ?? '', spec]),
  );

/**
 * dynalite reports the base table's units only; DynamoDB also bills a write
 * to every index the item is projected into (all indexes here project ALL).
 * A put counts one unit per KB per index whose keys the item carries; an
 * update or delete counts one per index, two when it changes the index key
 * (a delete and a put in the index): an upper estimate, since an item
 * missing from a sparse index costs nothing there.
 */
export const indexWriteUnits = (call: RecordedCall): number => {
  const spec = specByTableName().get(String(call.input.TableName ?? ''));
  const indexes = [
    ...(spec?.globalIndexes ?? []),
    ...(spec?.localIndexes ?? []),
  ];
  if (indexes.length === 0) return 0;
  const item = call.input.Item as Record<string, unknown> | undefined;
  if (call.operation === 'PutCommand' && item) {
    const kb = Math.ceil(Buffer.byteLength(JSON.stringify(item)) / 1024);
    const carried = indexes.filter(
      (index) =>
        item[index.partitionKey.name] !== undefined &&
        (!index.sortKey || item[index.sortKey.name] !== undefined),
    );

    return carried.length * kb;
  }
  const expression = JSON.stringify([
    call.input.UpdateExpression ?? '',
    call.input.ExpressionAttributeNames ?? {},
  ]);

  return indexes.reduce((sum, index) => {
    const keys = [index.partitionKey.name, index.sortKey?.name ?? '\u0000'];
    const changesKey = keys.some((key) => expression.includes(key));

    return sum + (changesKey ? 2 : 1);
  }, 0);
};

/** A replayable sequence: the run's calls minus Step Functions. */
export const floorCalls = (calls: readonly RecordedCall[]): RecordedCall[] =>
  calls.filter((call) => call.service !== 'sfn');

/**
 * Replays calls in order, one at a time, with every occurrence of the
 * recorded run id replaced by `freshId` so that conditional writes land on
 * new items as the run's did. Errors are counted, not thrown: a refused
 * write is still one round trip.
 */
export const replay = async (
  calls: readonly RecordedCall[],
  runId: string,
  freshId: string,
  clients: ProductClients,
): Promise<number> => {
  const swap = (text: string) => text.split(runId).join(freshId);
  let errors = 0;
  for (const call of calls) {
    try {
      await replayOne(call, swap, clients);
    } catch {
      errors += 1;
    }
  }

  return errors;
};

const replayOne = async (
  call: RecordedCall,
  swap: (text: string) => string,
  clients: ProductClients,
): Promise<void> => {
  if (call.http) {
    const { url, method, headers, body } = call.http;
    const response = await fetch(swap(url), {
      method,
      headers,
      ...(body ? { body: swap(body) } : {}),
    });
    await response.text();

    return;
  }
  const client = call.service === 'ses' ? clients.ses : clients.dynamo;
  const input = mapStrings(call.input, swap) as Record<string, unknown>;
  if (!call.commandClass) throw new Error(`No command for ${call.operation}`);
  await client.send(new call.commandClass(input));
};
