import { ApplicationFailure, Context } from '@temporalio/activity';
import { rowsIn, type StatusEntry } from '../domain/statusEntry';
import { contentGroupsOf } from '../domain/integration/integrationEntries';
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

/** The whole pass's entries for the status workflow, as its last. */
function reportOf(input: ProcessSmallFileInputV1, entries: StatusEntry[]): ReportEntriesInputV1 {
  return {
    bucket: input.object.bucket,
    ...(input.region ? { region: input.region } : {}),
    statusPrefix: input.statusPrefix,
    flushDelayMs: input.flushDelayMs,
    passWaitMs: input.passWaitMs,
    entries: entries.map((entry) => ({ fileName: input.object.key, entry })),
    passEnded: true,
  };
}

const nothing = { rowsValid: 0, rowsInvalid: 0, fileRows: null, chunks: 0 };

/**
 * The small-file path: a file small enough is downloaded, validated, stored, reported and
 * committed in one activity on any worker, instead of about seven activities through the
 * worker-specific queue (about 50 ms each on a dev server). It runs the very same steps as the
 * chunked path, so entries, warehouse keys and idempotence are the same: a retried attempt
 * overwrites the same keys, and the status workflow drops entries it already has. Everything
 * that decides the entries is in the input or pinned in the ledger, so a retry reports the same.
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
      const { object, fileId, ctx, ledger } = input;
      const entries: StatusEntry[] = [];
      const storedKeys: string[] = [];
      let fileRows: number | null = null;
      let chunks = 0;
      let sha256: string | undefined;
      let rejected = false;
      try {
        const contentCheck = ledger?.check ? { integrationId: ledger.integrationId, configVersion: ledger.configVersion } : undefined;
        const download = await deps.local.downloadFile({ object, fileId, ctx, contentCheck, region: input.region });
        if (download.kind === 'processed-before') return { outcome: 'processed-before', ...nothing };
        sha256 = download.sha256;
        if (download.kind === 'duplicate') {
          await handOver(reportOf(input, download.entries));
          const first = download.firstObject;
          return { outcome: 'duplicate', duplicateOf: `s3://${first.bucket}/${first.key}@${first.version}`, ...nothing, rowsValid: rowsIn(download.entries, true), rowsInvalid: rowsIn(download.entries, false) };
        }
        if (download.kind === 'undecodable') {
          rejected = true;
          entries.push(...download.entries);
        } else {
          const analysis = await deps.local.inspectFile({ localPath: download.localPath, ctx, targetChunkRows: input.targetChunkRows });
          fileRows = analysis.footerRows;
          if (analysis.kind === 'rejected') {
            rejected = true;
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
        if (isFailure(err, FailureType.OBJECT_VERSION_GONE)) return { outcome: 'gone', ...nothing };
        throw err;
      } finally {
        await deps.local.removeLocalFile({ fileId });
      }
      await handOver(reportOf(input, entries));
      const content = ledger && sha256 ? { integrationId: ledger.integrationId, configVersion: ledger.configVersion, sha256, groups: contentGroupsOf(entries) } : undefined;
      await deps.commitGeneration({ fileId, object, generation: ctx.generation, keys: storedKeys, content });
      return { outcome: 'processed', rowsValid: rowsIn(entries, true), rowsInvalid: rowsIn(entries, false), fileRows, chunks, ...(rejected ? { rejected } : {}) };
    },
  };
}

export type SmallFileActivities = ReturnType<typeof createSmallFileActivities>;
