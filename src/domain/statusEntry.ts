import type { StatusDocument, StatusEntry } from './statusEntrySchema';

// Types only: workflow code uses this module, and zod need not be in the workflow bundle.
export type { StatusDocument, StatusEntry };

/** An entry together with the file it belongs to, as it travels from file workflow to status workflow. */
export interface FileStatusEntry {
  fileName: string;
  entry: StatusEntry;
}

/** The contract's deduplication triplet. */
export function entryTriplet(e: FileStatusEntry): string {
  return `${e.entry.originalCreationTime}|${e.entry.entryId}|${e.fileName}`;
}

/** Groups entries into a status document; files in key order, entries by entryId. */
export function toStatusDocument(entries: readonly FileStatusEntry[]): StatusDocument {
  const doc: StatusDocument = {};
  const files = [...new Set(entries.map((e) => e.fileName))].sort();
  for (const file of files) {
    const list = entries
      .filter((e) => e.fileName === file)
      .map((e) => e.entry)
      .sort((a, b) => a.originalCreationTime - b.originalCreationTime || a.entryId - b.entryId);
    // Defined, not assigned: a file named `__proto__` would otherwise set the prototype and vanish.
    Object.defineProperty(doc, file, { value: list, enumerable: true, writable: true, configurable: true });
  }
  return doc;
}

export function documentIsAllValid(doc: StatusDocument): boolean {
  return Object.values(doc).every((entries) => entries.every((e) => e.valid));
}

export function rowsIn(entries: readonly StatusEntry[], valid?: boolean): number {
  return entries.filter((e) => valid === undefined || e.valid === valid).reduce((n, e) => n + e.numberOfRows, 0);
}
