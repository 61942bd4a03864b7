import { z } from 'zod';

/** One StatusEntry of the contract, with its seven fields in the contract's order. */
export const statusEntrySchema = z.object({
  originalCreationTime: z.number().int().nonnegative(),
  entryId: z.number().int().nonnegative().lt(2 ** 31),
  valid: z.boolean(),
  numberOfRows: z.number().int().nonnegative(),
  errors: z.array(z.string()),
  errorsDetails: z.array(z.string()),
  warnings: z.array(z.string()),
});
export type StatusEntry = z.infer<typeof statusEntrySchema>;

/** A report file's content: `{ "<fileName>": [StatusEntry, ...] }`. */
export const statusDocumentSchema = z.record(z.string(), z.array(statusEntrySchema));
export type StatusDocument = z.infer<typeof statusDocumentSchema>;

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
    doc[file] = entries
      .filter((e) => e.fileName === file)
      .map((e) => e.entry)
      .sort((a, b) => a.originalCreationTime - b.originalCreationTime || a.entryId - b.entryId);
  }
  return doc;
}

export function documentIsAllValid(doc: StatusDocument): boolean {
  return Object.values(doc).every((entries) => entries.every((e) => e.valid));
}

export function rowsIn(entries: readonly StatusEntry[], valid?: boolean): number {
  return entries.filter((e) => valid === undefined || e.valid === valid).reduce((n, e) => n + e.numberOfRows, 0);
}
