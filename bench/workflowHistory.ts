/**
 * Where the end-to-end time went, from the file workflow's history: activity counts and durations,
 * and the seconds between milestones.
 */
import { WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../src/messages';
import { seconds, sleep } from './format';

export interface ActivityStat {
  activity: string;
  count: number;
  /** Sum of scheduled → completed, seconds. */
  totalSeconds: number;
  maxSeconds: number;
}

export type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
export type HistoryEvent = NonNullable<History['events']>[number];
type LongLike = number | { toNumber(): number } | null | undefined;

export const toNumber = (v: LongLike) => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());
/** An event's time, epoch ms (the server's clock: the same machine as the bench's). */
export const eventMs = (e: HistoryEvent) => toNumber(e.eventTime?.seconds) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/** Waits until the pass has committed (so every activity of it is in the history), then fetches the history. */
export async function historyAfterPass(handle: WorkflowHandle): Promise<History> {
  const deadline = Date.now() + 120_000;
  while ((await handle.query(progressQuery)).phase !== 'waiting-for-reprocess') {
    if (Date.now() > deadline) throw new Error(`file workflow ${handle.workflowId} did not finish its pass`);
    await sleep(200);
  }
  return handle.fetchHistory();
}

interface ActivitySpan {
  activity: string;
  scheduledMs: number;
  completedMs: number;
}

function activitySpans(history: History): ActivitySpan[] {
  const scheduled = new Map<number, { activity: string; at: number }>();
  const spans: ActivitySpan[] = [];
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(toNumber(e.eventId), { activity: s.activityType?.name ?? '?', at: eventMs(e) });
    const c = e.activityTaskCompletedEventAttributes;
    const from = c ? scheduled.get(toNumber(c.scheduledEventId)) : undefined;
    if (from) spans.push({ activity: from.activity, scheduledMs: from.at, completedMs: eventMs(e) });
  }
  return spans;
}

export function activityStats(history: History): ActivityStat[] {
  const byName = new Map<string, ActivityStat>();
  for (const span of activitySpans(history)) {
    const stat = byName.get(span.activity) ?? { activity: span.activity, count: 0, totalSeconds: 0, maxSeconds: 0 };
    const s = (span.completedMs - span.scheduledMs) / 1000;
    stat.count++;
    stat.totalSeconds = Math.round((stat.totalSeconds + s) * 1000) / 1000;
    stat.maxSeconds = Math.max(stat.maxSeconds, s);
    byName.set(span.activity, stat);
  }
  return [...byName.values()];
}

/** Seconds between milestones: upload done → workflow started → downloaded → inspected → chunks done → reports listed. */
export function timelineOf(history: History, uploadedAtMs: number, listedAtMs: number): Record<string, number> {
  const events = history.events ?? [];
  const workflowStartedMs = events.length > 0 ? eventMs(events[0]!) : uploadedAtMs;
  const spans = activitySpans(history);
  const lastOf = (name: string) => Math.max(...spans.filter((s) => s.activity === name).map((s) => s.completedMs));
  const downloaded = lastOf('downloadFile');
  const inspected = lastOf('inspectFile');
  const chunksDone = lastOf('processChunk');
  const lastHandedToStatus = lastOf('reportEntries');
  const span = (a: number, b: number) => seconds(b - a);
  return {
    'upload done → workflow started': span(uploadedAtMs, workflowStartedMs),
    'workflow started → file downloaded': span(workflowStartedMs, downloaded),
    'downloaded → footer inspected': span(downloaded, inspected),
    'inspected → last chunk validated+stored': span(inspected, chunksDone),
    'last chunk → its entries handed to the status workflow': span(chunksDone, lastHandedToStatus),
    'handed over → report listed (flush delay, write, poll)': span(lastHandedToStatus, listedAtMs),
  };
}
