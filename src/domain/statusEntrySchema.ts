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
