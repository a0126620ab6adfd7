/**
 * The AWS JSON 1.0 protocol as the Step Functions API uses it: operation names from the
 * `X-Amz-Target` header, error bodies the SDK turns into named exceptions, timestamps as
 * epoch seconds, and opaque paging tokens.
 */

/** Error codes this endpoint answers with; the SDK maps each to its exception class. */
export const SfnErrorCode = {
  ExecutionAlreadyExists: 'ExecutionAlreadyExists',
  ExecutionDoesNotExist: 'ExecutionDoesNotExist',
  InvalidArn: 'InvalidArn',
  InvalidDefinition: 'InvalidDefinition',
  InvalidExecutionInput: 'InvalidExecutionInput',
  InvalidName: 'InvalidName',
  InvalidToken: 'InvalidToken',
  MissingRequiredParameter: 'MissingRequiredParameter',
  SerializationException: 'SerializationException',
  StateMachineAlreadyExists: 'StateMachineAlreadyExists',
  StateMachineDoesNotExist: 'StateMachineDoesNotExist',
  UnknownOperationException: 'UnknownOperationException',
  ValidationException: 'ValidationException',
} as const;

/** One of the error codes in {@link SfnErrorCode}. */
export type SfnErrorCode = (typeof SfnErrorCode)[keyof typeof SfnErrorCode];

const SERVICE_NAMESPACE = 'com.amazonaws.swf.service.v2.model';
const CORAL_NAMESPACE = 'com.amazon.coral.service';

/** A request the Step Functions API refuses: answered as HTTP 400 with a JSON error body. */
export class SfnApiError extends Error {
  readonly code: SfnErrorCode;

  constructor(code: SfnErrorCode, message: string) {
    super(message);
    this.name = code;
    this.code = code;
  }
}

/** The JSON body AWS sends for an error; the SDK reads the code after the `#`. */
export function errorBody(error: SfnApiError): {
  __type: string;
  message: string;
} {
  const namespace =
    error.code === SfnErrorCode.UnknownOperationException ||
    error.code === SfnErrorCode.SerializationException
      ? CORAL_NAMESPACE
      : SERVICE_NAMESPACE;

  return { __type: `${namespace}#${error.code}`, message: error.message };
}

const TARGET_PREFIX = 'AWSStepFunctions.';

/** Reads the operation name from an `X-Amz-Target` header value. */
export function operationOf(target: string | string[] | undefined): string {
  const value = Array.isArray(target) ? target[0] : target;
  if (!value?.startsWith(TARGET_PREFIX)) {
    throw new SfnApiError(
      SfnErrorCode.UnknownOperationException,
      `Expected an X-Amz-Target header of the form ${TARGET_PREFIX}<Operation>`,
    );
  }

  return value.slice(TARGET_PREFIX.length);
}

/** The JSON form of an SDK shape: timestamps travel as epoch seconds. */
export type Wire<T> = T extends Date
  ? number
  : T extends readonly (infer U)[]
    ? Wire<U>[]
    : T extends object
      ? { [K in keyof T]: Wire<T[K]> }
      : T;

/** Converts a time in epoch milliseconds to the epoch seconds of the wire format. */
export function toWireTime(epochMs: number): number {
  return epochMs / 1000;
}

/** A parsed request body: any JSON object. */
export type RequestBody = Readonly<Record<string, unknown>>;

/** Parses a request body: empty means `{}`; anything but a JSON object is refused. */
export function parseRequestBody(text: string): RequestBody {
  let body: unknown = {};
  try {
    if (text.trim() !== '') body = JSON.parse(text);
  } catch (error) {
    throw new SfnApiError(
      SfnErrorCode.SerializationException,
      (error as Error).message,
    );
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new SfnApiError(
      SfnErrorCode.SerializationException,
      'Request body must be a JSON object',
    );
  }

  return body as RequestBody;
}

function invalidMember(key: string, constraint: string): SfnApiError {
  return new SfnApiError(
    SfnErrorCode.ValidationException,
    `1 validation error detected: Value at '${key}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Reads an optional string member; any other type is a ValidationException. */
export function optionalString(
  body: RequestBody,
  key: string,
): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string')
    throw invalidMember(key, 'Member must be a string');

  return value;
}

/** Reads a required string member, as AWS validates it. */
export function requiredString(body: RequestBody, key: string): string {
  const value = optionalString(body, key);
  if (value === undefined) throw invalidMember(key, 'Member must not be null');

  return value;
}

/** Reads an optional integer member. */
export function optionalInteger(
  body: RequestBody,
  key: string,
): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value))
    throw invalidMember(key, 'Member must be an integer');

  return value as number;
}

/** Reads an optional boolean member. */
export function optionalBoolean(
  body: RequestBody,
  key: string,
): boolean | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean')
    throw invalidMember(key, 'Member must be a boolean');

  return value;
}

// Names may not hold whitespace, brackets, wildcards or punctuation (AWS rule).
const FORBIDDEN_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;

function hasControlCharacter(name: string): boolean {
  for (const character of name) {
    const code = character.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
  }

  return false;
}

/** Checks a state machine or execution name against the AWS naming rules. */
export function assertValidName(name: string): void {
  if (
    name.length < 1 ||
    name.length > 80 ||
    FORBIDDEN_NAME_CHARACTERS.test(name) ||
    hasControlCharacter(name)
  ) {
    throw new SfnApiError(SfnErrorCode.InvalidName, `Invalid Name: '${name}'`);
  }
}

/** One page of a listing and the token for the next one. */
export interface Page<T> {
  items: T[];
  nextToken?: string;
}

/** Paging limits of one listing operation. */
export interface PageLimits {
  defaultSize: number;
  maxSize: number;
}

function offsetOf(nextToken: string | undefined): number {
  if (nextToken === undefined) return 0;
  const match = /^offset:(\d+)$/.exec(
    Buffer.from(nextToken, 'base64url').toString(),
  );
  if (!match?.[1]) {
    throw new SfnApiError(
      SfnErrorCode.InvalidToken,
      `Invalid Token: '${nextToken}'`,
    );
  }

  return Number(match[1]);
}

/** Cuts one page out of a listing; `maxResults` 0 or absent means the default size. */
export function paginate<T>(
  items: readonly T[],
  request: { maxResults?: number; nextToken?: string },
  limits: PageLimits,
): Page<T> {
  const offset = offsetOf(request.nextToken);
  const size = Math.min(
    request.maxResults || limits.defaultSize,
    limits.maxSize,
  );
  const end = offset + size;
  const page: Page<T> = { items: items.slice(offset, end) };
  if (end < items.length) {
    page.nextToken = Buffer.from(`offset:${end}`).toString('base64url');
  }

  return page;
}
