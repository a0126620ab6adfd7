/**
 * One error class per failure a caller can act on. Each carries the HTTP
 * status it maps to at the API, and its `name` is what a Step Functions
 * Retry or Catch matches in `ErrorEquals`. Names are written out rather
 * than taken from the constructor because minified bundles rename classes.
 */

export interface FieldProblem {
  readonly field: string;
  readonly problem: string;
}

export class DomainError extends Error {
  override name = 'DomainError';
  readonly status: number = 500;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** The input breaks a rule; `fields` says which and how to fix it. */
export class InvalidInputError extends DomainError {
  override name = 'InvalidInputError';
  override readonly status = 400;

  constructor(
    message: string,
    readonly fields: readonly FieldProblem[] = [],
  ) {
    super(message);
  }
}

export class UnauthorizedError extends DomainError {
  override name = 'UnauthorizedError';
  override readonly status = 401;
}

export class ForbiddenError extends DomainError {
  override name = 'ForbiddenError';
  override readonly status = 403;
}

export class NotFoundError extends DomainError {
  override name = 'NotFoundError';
  override readonly status = 404;
}

/** The request conflicts with the current state (already done, closed...). */
export class ConflictError extends DomainError {
  override name = 'ConflictError';
  override readonly status = 409;
}

export class PayloadTooLargeError extends DomainError {
  override name = 'PayloadTooLargeError';
  override readonly status = 413;
}

/** The request used a media type the API does not take. */
export class UnsupportedMediaTypeError extends DomainError {
  override name = 'UnsupportedMediaTypeError';
  override readonly status = 415;
}

/** A dependency failed in a way that may pass: the step should try again. */
export class TransientError extends DomainError {
  override name = 'TransientError';
  override readonly status = 503;
}

/** A setting the deployment needs is missing or malformed. */
export class ConfigurationError extends DomainError {
  override name = 'ConfigurationError';
}

/** ServiceNow refused the credentials or the ACLs deny the table. */
export class ServiceNowAuthError extends DomainError {
  override name = 'ServiceNowAuthError';
}

/** ServiceNow answered something this product cannot use. */
export class ServiceNowError extends DomainError {
  override name = 'ServiceNowError';
}

/** Pseudonymisation is on, so a flow that would reveal identity stopped. */
export class PrivacyStopError extends DomainError {
  override name = 'PrivacyStopError';
  override readonly status = 409;
}
