import type { Chunk } from './chunkPlan';
import type { SchemaVerdict } from './schemaCheck';
import type { StatusEntry } from './statusEntry';

/**
 * What inspecting a local file found: either the whole file is rejected (its entries say why),
 * or it is readable, its schema passed, and it is planned in chunks read from `readPath`
 * (the file itself, or a transcoded copy of it).
 */
export type FileAnalysis =
  | { kind: 'rejected'; footerRows: number; entries: StatusEntry[] }
  | { kind: 'ok'; footerRows: number; verdict: SchemaVerdict; chunks: Chunk[]; readPath: string };
