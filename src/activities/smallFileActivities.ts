import { ApplicationFailure, Context } from '@temporalio/activity';
import type { StatusEntry } from '../domain/statusEntry';
import { contentGroupsOf } from '../domain/integration/integrationEntries';
import type { EntryContext } from '../domain/entries';
import { ContentCheckV1, FailureType, ProcessSmallFileInputV1, ProcessSmallFileResultV1, ReportEntriesInputV1 } from '../messages';
import type { FileActivities } from './fileActivities';
import type { SharedActivities } from './sharedActivities';
import type { IntegrationActivities } from './integrations/integrationActivities';
import { createIntegrationGoneActivities } from './integrations/integrationGoneActivities';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ForRegion } from '../s3/s3';

export interface SmallFileDeps {
  local: FileActivities;
  reportEntries: SharedActivities['reportEntries'];
  commitGeneration: SharedActivities['commitGeneration'];
  resolveIntegration: IntegrationActivities['resolveIntegration'];
  s3: S3Client;
  s3ForRegion?: S3ForRegion;
  warehouseBucket: string;
  /** Wait before handing entries over again after the status workflow asked to back off. */
  backPressureWaitMs: number;
}

/** The whole pass's entries for the status workflow, as its last. */
function reportOf(input: ProcessSmallFileInputV1, statusPrefix: string, entries: StatusEntry[], region?: string): ReportEntriesInputV1 {
  return {
    bucket: input.object.bucket,
    ...(region ? { region } : {}),
    statusPrefix,
    flushDelayMs: input.flushDelayMs,
    passWaitMs: input.passWaitMs,
    entries: entries.map((entry) => ({ fileName: input.object.key, entry })),
    passEnded: true,
  };
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

  const gone = createIntegrationGoneActivities({ s3: deps.s3, s3ForRegion: deps.s3ForRegion, warehouseBucket: deps.warehouseBucket, reportEntries: handOver });
  const none = { rowsValid: 0, rowsInvalid: 0, fileRows: null, chunks: 0 };

  return {
    async processSmallFile(input: ProcessSmallFileInputV1): Promise<ProcessSmallFileResultV1> {
      const { object, fileId } = input;
      let { ctx, statusPrefix } = input;
      let contentCheck: ContentCheckV1 | undefined;
      let region: string | undefined;
      let configVersion: number | undefined;
      if (input.integration) {
        // Read here rather than by the workflow: one round trip less for every small file.
        const { integrationId, reprocess, originalCreationTime } = input.integration;
        const resolved = await deps.resolveIntegration({ integrationId });
        configVersion = resolved.configVersion;
        region = resolved.region;
        if (resolved.kind === 'deleted') {
          if (reprocess) Context.current().log.warn('reprocess refused: the integration was deleted', { integrationId });
          else {
            const p = { ...resolved, region, object, fileId, originalCreationTime, objectBytes: input.objectBytes ?? 0, flushDelayMs: input.flushDelayMs, passWaitMs: input.passWaitMs };
            await gone.reportIntegrationGone(p);
          }
          return { outcome: 'integration-deleted', configVersion, ...none };
        }
        ctx = { ...ctx, environments: resolved.environments } satisfies EntryContext;
        statusPrefix = resolved.statusPrefix;
        if (!reprocess) contentCheck = { integrationId, configVersion };
      }
      const entries: StatusEntry[] = [];
      const storedKeys: string[] = [];
      let fileRows: number | null = null;
      let chunks = 0;
      let sha256: string | undefined;
      try {
        const download = await deps.local.downloadFile({ object, fileId, ctx, contentCheck, region });
        sha256 = download.sha256;
        if (download.kind === 'duplicate') {
          await handOver(reportOf(input, statusPrefix, download.entries, region));
          const duplicateOf = `s3://${download.firstObject.bucket}/${download.firstObject.key}@${download.firstObject.version}`;
          const rows = (valid: boolean) => download.entries.filter((e) => e.valid === valid).reduce((n, e) => n + e.numberOfRows, 0);
          return { outcome: 'duplicate', configVersion, duplicateOf, ...none, rowsValid: rows(true), rowsInvalid: rows(false) };
        }
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
        if (isFailure(err, FailureType.OBJECT_VERSION_GONE)) return { outcome: 'gone', ...none };
        throw err;
      } finally {
        await deps.local.removeLocalFile({ fileId });
      }
      await handOver(reportOf(input, statusPrefix, entries, region));
      const content = input.integration && configVersion !== undefined && sha256
        ? { integrationId: input.integration.integrationId, configVersion, sha256, groups: contentGroupsOf(entries) }
        : undefined;
      await deps.commitGeneration({ fileId, object, generation: ctx.generation, keys: storedKeys, content });
      const rows = (valid: boolean) => entries.filter((e) => e.valid === valid).reduce((n, e) => n + e.numberOfRows, 0);
      return { outcome: 'processed', configVersion, rowsValid: rows(true), rowsInvalid: rows(false), fileRows, chunks };
    },
  };
}

export type SmallFileActivities = ReturnType<typeof createSmallFileActivities>;
