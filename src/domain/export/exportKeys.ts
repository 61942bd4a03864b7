import { minuteLabel } from '../impressions/intakeKeys';
import { type ExportCodec, type ExportFormat, partFileName } from './formats';
import type { ExportWindow } from './windows';

/**
 * Where an export writes in the customer's bucket, under the integration's write prefix:
 *
 *   <prefix>/window_start=<yyyymmddThhmm>Z/part-00000.<codec>.parquet   the rows, in order (formats.ts names each format's parts)
 *   <prefix>/window_start=<yyyymmddThhmm>Z/_manifest.json                window, parts, counts, checksums
 *   <prefix>/window_start=<yyyymmddThhmm>Z/_SUCCESS                       written last
 *
 * Hive-partitioned by window (Spark, Hive and DuckDB read `window_start` as a column). Names come
 * from the window and the part number only, so a re-export writes the same keys.
 */
export const MANIFEST_NAME = '_manifest.json';
export const SUCCESS_NAME = '_SUCCESS';

export function windowFolder(writePrefix: string, w: Pick<ExportWindow, 'start'>): string {
  const folder = `window_start=${minuteLabel(w.start)}/`;
  return writePrefix ? `${writePrefix}/${folder}` : folder;
}

export function partKey(writePrefix: string, w: Pick<ExportWindow, 'start'>, part: number, format: ExportFormat, codec: ExportCodec): string {
  return `${windowFolder(writePrefix, w)}${partFileName(format, codec, part)}`;
}

export const manifestKey = (writePrefix: string, w: Pick<ExportWindow, 'start'>): string => `${windowFolder(writePrefix, w)}${MANIFEST_NAME}`;
export const successKey = (writePrefix: string, w: Pick<ExportWindow, 'start'>): string => `${windowFolder(writePrefix, w)}${SUCCESS_NAME}`;

/** The window a folder under the prefix stands for, from its `window_start=` label; undefined for anything else. */
export function windowStartOfFolder(folder: string): number | undefined {
  const m = /window_start=(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})Z\/?$/.exec(folder);
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!) : undefined;
}
