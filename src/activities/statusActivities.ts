import { createHash } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { statusWorkflowIdOf } from '../domain/keys';
import { checkedStatusDocument } from '../domain/statusEntrySchema';
import { toStatusDocument } from '../domain/statusEntry';
import { clientIn, isS3Error, S3ForRegion } from '../s3/s3';
import { countReportedRows, recordReportLatency, recordReportWrite } from './activityMetrics';
import {
  BACKPRESSURE_ENTRIES,
  BACKPRESSURE_MEMO_KEY,
  FailureType,
  ReportEntriesInputV1,
  StatusWorkflowInputV1,
  statusEntriesSignal,
  WriteStatusReportInputV1,
  WriteStatusReportResultV1,
} from '../messages';

export interface StatusActivityDeps {
  s3: S3Client;
  /** Clients for customers' buckets in other regions (default: `s3` for every region). */
  s3ForRegion?: S3ForRegion;
  client: Client;
  taskQueue: string;
}

/** The ETag S3 gives a single-part upload without SSE-KMS: the body's MD5, quoted. */
const md5Etag = (body: string) => `"${createHash('md5').update(body).digest('hex')}"`;

/** How long a status workflow's back-pressure flag is taken as read: one describe per second per status workflow, not per hand-over. */
const BACKPRESSURE_READ_TTL_MS = 1_000;

/** Activities between file workflows, status workflows and the customer's status prefix. */
export function createStatusActivities(deps: StatusActivityDeps) {
  const holdingBack = new Map<string, { hold: boolean; readAt: number }>();
  async function isHoldingBack(workflowId: string): Promise<boolean> {
    const known = holdingBack.get(workflowId);
    if (known && Date.now() - known.readAt < BACKPRESSURE_READ_TTL_MS) return known.hold;
    const described = await deps.client.workflow
      .getHandle(workflowId)
      .describe()
      .catch((err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      });
    // A closed run (terminated by an operator) keeps its last memo: only a running one holds back.
    const hold = described?.status.name === 'RUNNING' && described.memo?.[BACKPRESSURE_MEMO_KEY] === true;
    holdingBack.set(workflowId, { hold, readAt: Date.now() });
    return hold;
  }

  /**
   * Writes one report to `key`, never over anything. It never reads the status prefix (the
   * seed's policy grants only PutObject there): a retried write of this same report is
   * recognised by the key's listed ETag, which is the body's MD5. Anything else at the key,
   * or an ETag that is not an MD5 (SSE-KMS), is `taken`: the workflow uses the next key.
   */
  async function writeReport(input: WriteStatusReportInputV1): Promise<WriteStatusReportResultV1> {
    // The contract's shape, checked at the last step before the customer sees it.
    const body = JSON.stringify(checkedStatusDocument(input.document), null, 2);
    const s3 = clientIn(deps.s3, deps.s3ForRegion, input.region);
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: input.bucket,
          Key: input.key,
          Body: body,
          ContentType: 'application/json',
          IfNoneMatch: '*',
          ACL: 'bucket-owner-full-control',
        }),
      );
      return { outcome: 'written' };
    } catch (err) {
      if (!isS3Error(err, 'PreconditionFailed', '412')) throw err;
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: input.bucket, Prefix: input.key, MaxKeys: 1 }));
    const existing = listed.Contents?.find((o) => o.Key === input.key);
    // Gone again since the 412 (deleted by someone): the retry writes it.
    if (!existing) throw new Error(`report key ${input.key} was taken, then vanished; retrying`);
    if (existing.ETag === md5Etag(body)) return { outcome: 'already-written' };
    Context.current().log.warn('report key taken by other content, or its ETag is not an MD5 (SSE-KMS)', { key: input.key, etag: existing.ETag });
    return { outcome: 'taken' };
  }

  return {
    /**
     * Hands entries to the status workflow of (bucket, status prefix), starting it if needed.
     * While that workflow holds too many unreported entries, refuses (retryable) so the caller
     * backs off: the status workflow's carried state stays bounded whatever the inflow.
     */
    async reportEntries(input: ReportEntriesInputV1): Promise<void> {
      if (input.entries.length === 0) return;
      // Our own entries, but checked where they are made: a bad one fails its file workflow
      // instead of being retried forever by the status workflow of the whole bucket.
      try {
        checkedStatusDocument(toStatusDocument(input.entries));
      } catch (err) {
        throw ApplicationFailure.nonRetryable(`entries fail the status schema: ${String(err)}`, 'InvalidStatusEntry');
      }
      const workflowId = statusWorkflowIdOf(input.bucket, input.statusPrefix);
      if (await isHoldingBack(workflowId)) {
        throw ApplicationFailure.retryable(`${workflowId} holds ${BACKPRESSURE_ENTRIES} or more unwritten entries; retrying later`, FailureType.STATUS_BACKPRESSURE);
      }
      const start: StatusWorkflowInputV1 = {
        version: 1,
        bucket: input.bucket,
        ...(input.region ? { region: input.region } : {}),
        statusPrefix: input.statusPrefix,
        flushDelayMs: input.flushDelayMs,
        ...(input.passWaitMs !== undefined ? { passWaitMs: input.passWaitMs } : {}),
      };
      await deps.client.workflow.signalWithStart('statusWorkflow', {
        workflowId,
        taskQueue: deps.taskQueue,
        args: [start],
        signal: statusEntriesSignal,
        signalArgs: [{ entries: input.entries, ...(input.passEnded ? { passEnded: true } : {}), ...(input.region ? { region: input.region } : {}) }],
      });
      // Counted once the status workflow has them: a hand-over held back is not counted.
      countReportedRows(input.entries.map((e) => e.entry));
    },

    /** Writes one report (see writeReport), timed: `fme_report_write_seconds`. */
    async writeStatusReport(input: WriteStatusReportInputV1): Promise<WriteStatusReportResultV1> {
      const began = performance.now();
      let outcome = 'failed';
      try {
        const result = await writeReport(input);
        outcome = result.outcome;
        if (result.outcome !== 'taken' && input.oldestEntryAtMs !== undefined) recordReportLatency((Date.now() - input.oldestEntryAtMs) / 1000);
        return result;
      } finally {
        recordReportWrite((performance.now() - began) / 1000, outcome);
      }
    },
  };
}

export type StatusActivities = ReturnType<typeof createStatusActivities>;
