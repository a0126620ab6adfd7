import { ConfigurationError } from './errors.js';
import { TABLES, type TableId } from './tables.js';

const read = (name: string): string => {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new ConfigurationError(`Missing setting ${name}`);
  }

  return value;
};

/** Physical name of a table, from the environment the stack sets. */
export const tableName = (id: TableId): string => read(TABLES[id].env);

/** A required setting; a missing one fails with a message naming it. */
export const requiredSetting = (name: string): string => read(name);

/** An optional setting with its documented default. */
export const optionalSetting = (name: string, fallback: string): string => {
  const value = process.env[name];

  return value === undefined || value === '' ? fallback : value;
};
