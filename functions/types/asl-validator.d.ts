/**
 * Types of asl-validator 4.0.0, which ships none: a function that checks an
 * Amazon States Language definition against its JSON schemas and rules.
 * It writes a default `QueryLanguage` into every state: pass it a copy.
 */
declare module 'asl-validator' {
  namespace validator {
    interface AslValidationError {
      readonly 'Error code': string;
      readonly Message: string;
      readonly schemaError?: {
        readonly instancePath: string;
        readonly schemaPath: string;
      };
    }

    interface AslValidationResult {
      readonly isValid: boolean;
      readonly errors: readonly AslValidationError[];
      errorsText(separator?: string): string;
    }
  }

  function validator(
    definition: unknown,
    options?: { checkPaths: boolean; checkArn: boolean },
  ): validator.AslValidationResult;

  export = validator;
}
