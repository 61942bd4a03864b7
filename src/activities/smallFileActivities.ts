import { ApplicationFailure, Context } from '@temporalio/activity';
import type { StatusEntry } from '../domain/statusEntry';
import { FailureType, ProcessSmallFileInputV1, ProcessSmallFileResultV1, ReportEntriesInputV1 } from '../messages';
import type { FileActivities } from './fileActivities';
import type { SharedActivities } from './sharedActivities';

export interface SmallFileDeps {
  local: FileActivities;
  reportEntries: SharedActivities['reportEntries'];
  commitGeneration: SharedActivities['commitGeneration'];
  /** Wait before handing entries over again after the status workflow asked to back off. */
  backPressureWaitMs: number;
}

const isFailure = (err: unknown, type: string) => err instanceof ApplicationFailure && err.type === type;

/**
 * The small-file path: a file small enough is downloaded, validated, stored, reported and
 * committed in one activity on any worker, instead of about seven activities through the
 * worker-specific queue (about 50 ms each on a dev server). It runs the very same steps as the
 * chunked path, so entries, warehouse keys and idempotence are the same: a retried attempt
 * overwrites the same keys, and the status workflow drops entries it already has.
 */
export function createSmallFileActivities(deps: SmallFileDeps) {
  async function handOver(input: ReportEntriesInputV1): Promise<void> {
    for (;;) {
      try {
        return await deps.reportEntries(input);
      } catch (err) {
        if (!isFailure(err, FailureType.STATUS_BACKPRESSURE)) throw err;
        Context.current().heartbeat({ phase: 'waiting for the status workflow' });
        await Context.current().sleep(deps.backPressureWaitMs);
      }
    }
  }

  return {
    async processSmallFile(input: ProcessSmallFileInputV1): Promise<ProcessSmallFileResultV1> {
      const { object, fileId, ctx } = input;
      const entries: StatusEntry[] = [];
      const storedKeys: string[] = [];
      let fileRows: number | null = null;
      let chunks = 0;
      try {
        const download = await deps.local.downloadFile({ object, fileId, ctx });
        if (download.kind === 'undecodable') {
          entries.push(...download.entries);
        } else {
          const analysis = await deps.local.inspectFile({ localPath: download.localPath, ctx, targetChunkRows: input.targetChunkRows });
          fileRows = analysis.footerRows;
          if (analysis.kind === 'rejected') {
            entries.push(...analysis.entries);
          } else {
            const chunkCtx = { ...ctx, warnings: analysis.verdict.warnings };
            // The whole pass is this one activity: on its first attempt no chunk was stored before.
            const firstAttempt = Context.current().info.attempt === 1;
            for (const chunk of analysis.chunks) {
              const result = await deps.local.processChunk({ fileId, readPath: analysis.readPath, verdict: analysis.verdict, chunk, ctx: chunkCtx, firstAttempt });
              entries.push(...result.entries);
              storedKeys.push(...result.storedKeys);
            }
            chunks = analysis.chunks.length;
          }
        }
      } catch (err) {
        if (isFailure(err, FailureType.OBJECT_VERSION_GONE)) return { outcome: 'gone', rowsValid: 0, rowsInvalid: 0, fileRows: null, chunks: 0 };
        throw err;
      } finally {
        await deps.local.removeLocalFile({ fileId });
      }
      await handOver({
        bucket: object.bucket,
        statusPrefix: input.statusPrefix,
        flushDelayMs: input.flushDelayMs,
        passWaitMs: input.passWaitMs,
        entries: entries.map((entry) => ({ fileName: object.key, entry })),
        passEnded: true,
      });
      await deps.commitGeneration({ fileId, object, generation: ctx.generation, keys: storedKeys });
      const rows = (valid: boolean) => entries.filter((e) => e.valid === valid).reduce((n, e) => n + e.numberOfRows, 0);
      return { outcome: 'processed', rowsValid: rows(true), rowsInvalid: rows(false), fileRows, chunks };
    },
  };
}

export type SmallFileActivities = ReturnType<typeof createSmallFileActivities>;
