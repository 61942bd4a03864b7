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

/**
 * Checks a document against the contract and returns it with every key kept. zod's record
 * rebuilds the object by assignment, which drops a file literally named `__proto__`; object
 * keys are customers' S3 keys, so each file's entries are checked on their own instead.
 */
export function checkedStatusDocument(doc: StatusDocument): StatusDocument {
  const entries = z.array(statusEntrySchema);
  const checked: StatusDocument = {};
  for (const [fileName, list] of Object.entries(doc)) {
    Object.defineProperty(checked, fileName, { value: entries.parse(list), enumerable: true, writable: true, configurable: true });
  }
  return checked;
}
