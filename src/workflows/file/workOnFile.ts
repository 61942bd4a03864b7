import { CancellationScope } from '@temporalio/workflow';
import type { FileActivities } from '../../activities/fileActivities';
import type { EntryContext } from '../../domain/entries';
import type { ChunkResultV1 } from '../../messages';
import { countRows, PassContext } from './passContext';

type WorkerActivities = Pick<FileActivities, 'downloadFile' | 'inspectFile' | 'processChunk' | 'removeLocalFile'>;

/**
 * The file's work on the worker that holds it: download, inspect, then every chunk not in
 * `done` (chunks reported before a restart are skipped), each chunk's entries reported as it
 * ends. `rejected`: the file as a whole was reported invalid and nothing was stored.
 */
export async function workOnFile(
  p: PassContext,
  worker: { [K in keyof WorkerActivities]: (...args: Parameters<WorkerActivities[K]>) => ReturnType<WorkerActivities[K]> },
  ctx: EntryContext,
  done: Map<number, ChunkResultV1>,
): Promise<'stored' | 'rejected' | 'duplicate' | 'processed-before'> {
  const { progress, fileId } = p;
  progress.phase = 'downloading';
  const download = await worker.downloadFile({
    object: p.input.object,
    fileId,
    ctx,
    ...(p.contentCheck ? { contentCheck: p.contentCheck } : {}),
    ...(p.integration.region ? { region: p.integration.region } : {}),
  });
  if (download.kind === 'processed-before') {
    await worker.removeLocalFile({ fileId });
    return 'processed-before';
  }
  p.sha256 = download.sha256;
  // Decided (and pinned in the ledger): a restart of this pass on another worker downloads again
  // without asking, so it can never turn into a duplicate after chunks were reported.
  if (download.kind !== 'duplicate') p.contentCheck = undefined;
  if (download.kind === 'duplicate') {
    const first = download.firstObject;
    p.duplicateOf = progress.duplicateOf = `s3://${first.bucket}/${first.key}@${first.version}`;
    await p.report(download.entries, true);
    countRows(progress, download.entries);
    await worker.removeLocalFile({ fileId });
    return 'duplicate';
  }
  let analysis;
  if (download.kind === 'downloaded') {
    progress.phase = 'inspecting';
    analysis = await worker.inspectFile({ localPath: download.localPath, ctx, targetChunkRows: p.tuning.targetChunkRows });
    progress.fileRows = analysis.footerRows;
  }
  if (analysis?.kind !== 'ok') {
    const rejected = analysis?.entries ?? (download.kind === 'undecodable' ? download.entries : []);
    p.rejectedEntries = rejected;
    await p.report(rejected, true);
    countRows(progress, rejected);
    await worker.removeLocalFile({ fileId });
    return 'rejected';
  }
  progress.phase = 'validating';
  progress.chunksTotal = analysis.chunks.length;
  const chunkCtx: EntryContext = { ...ctx, warnings: analysis.verdict.warnings };
  const remaining = analysis.chunks.filter((c) => !done.has(c.index));
  for (const chunk of remaining) {
    const result = await worker.processChunk({ fileId, readPath: analysis.readPath, verdict: analysis.verdict, chunk, ctx: chunkCtx });
    // Once the chunk is stored, its report and bookkeeping finish even if the worker is found
    // lost meanwhile: a report cut off after it reached the status workflow would be sent again.
    await CancellationScope.nonCancellable(async () => {
      await p.report(result.entries, chunk === remaining.at(-1));
      done.set(chunk.index, result);
      progress.chunksDone = done.size;
      progress.rowsValid += result.validRows;
      progress.rowsInvalid += result.invalidRows;
    });
  }
  await worker.removeLocalFile({ fileId });
  return 'stored';
}
