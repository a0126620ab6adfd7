import {
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import { join } from 'node:path';

/** The folders of the data directory. */
export const StoreFolder = {
  stateMachines: 'state-machines',
  executions: 'executions',
} as const;

/** One of the folders in {@link StoreFolder}. */
export type StoreFolder = (typeof StoreFolder)[keyof typeof StoreFolder];

const REMOVED = Symbol('removed');
type Pending = string | typeof REMOVED;

let tempCounter = 0;

async function writeAtomically(path: string, text: string): Promise<void> {
  tempCounter += 1;
  const temp = `${path}.${process.pid}.${tempCounter}.tmp`;
  await writeFile(temp, text);
  await rename(temp, path);
}

/**
 * Keeps JSON documents in a folder, one file per key. Writes are atomic (temp file + rename)
 * and serialized per file; a document saved again while its write runs is written once more
 * with the latest value only.
 */
export class JsonStore {
  private readonly pending = new Map<string, Pending>();
  private readonly writing = new Map<string, Promise<void>>();
  private closed = false;

  private constructor(private readonly dir: string) {}

  /** Opens (and creates) the store's folders in `dir`. */
  static async open(dir: string): Promise<JsonStore> {
    for (const folder of Object.values(StoreFolder)) {
      await mkdir(join(dir, folder), { recursive: true });
    }

    return new JsonStore(dir);
  }

  /** Reads every document of a folder; a file that is not JSON stops the start with its name. */
  async readAll(folder: StoreFolder): Promise<unknown[]> {
    const names = (await readdir(join(this.dir, folder))).filter((name) =>
      name.endsWith('.json'),
    );
    const documents: unknown[] = [];
    for (const name of names) {
      const path = join(this.dir, folder, name);
      try {
        documents.push(JSON.parse(await readFile(path, 'utf8')));
      } catch (error) {
        throw new Error(`Cannot read the saved document ${path}`, {
          cause: error,
        });
      }
    }

    return documents;
  }

  /** Saves a document in the background. */
  save(folder: StoreFolder, key: string, document: unknown): void {
    this.enqueue(this.pathOf(folder, key), JSON.stringify(document));
  }

  /** Removes a document in the background. */
  remove(folder: StoreFolder, key: string): void {
    this.enqueue(this.pathOf(folder, key), REMOVED);
  }

  /** Waits for every queued write, then ignores later ones. */
  async close(): Promise<void> {
    while (this.writing.size > 0) await Promise.all(this.writing.values());
    this.closed = true;
  }

  private pathOf(folder: StoreFolder, key: string): string {
    return join(this.dir, folder, `${encodeURIComponent(key)}.json`);
  }

  private enqueue(path: string, value: Pending): void {
    if (this.closed) return;
    this.pending.set(path, value);
    if (!this.writing.has(path)) this.writing.set(path, this.drain(path));
  }

  private async drain(path: string): Promise<void> {
    for (
      let value = this.pending.get(path);
      value !== undefined;
      value = this.pending.get(path)
    ) {
      this.pending.delete(path);
      try {
        if (value === REMOVED) await rm(path, { force: true });
        else await writeAtomically(path, value);
      } catch (error) {
        process.emitWarning(
          `Local Step Functions could not write ${path}: ${String(error)}`,
        );
      }
    }
    this.writing.delete(path);
  }
}
