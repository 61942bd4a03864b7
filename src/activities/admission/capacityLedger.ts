/**
 * What one worker process holds: files it admitted, weighed in bytes against its capacity.
 * A file is admitted when it fits, or when the worker holds nothing else (so a file bigger
 * than the whole capacity still runs somewhere); waiting files are served first come, first
 * served. A reservation the file workflow never took over with its lease is dropped after
 * `unadoptedTtlMs` (the workflow was terminated between claim and lease).
 */
export interface LedgerOptions {
  capacityBytes: number;
  /** Every file costs at least this much (disk, DuckDB, staging), whatever its size. */
  minFileBytes: number;
  unadoptedTtlMs: number;
  now?: () => number;
}

interface Holding {
  bytes: number;
  adopted: boolean;
  reservedAt: number;
}

interface Waiter {
  fileId: string;
  bytes: number;
  admit: () => void;
}

export class CapacityLedger {
  private readonly held = new Map<string, Holding>();
  private readonly waiting: Waiter[] = [];
  private readonly now: () => number;

  constructor(private readonly opts: LedgerOptions) {
    this.now = opts.now ?? Date.now;
  }

  get heldBytes(): number {
    let n = 0;
    for (const h of this.held.values()) n += h.bytes;
    return n;
  }

  get heldFiles(): number {
    return this.held.size;
  }

  get waitingFiles(): number {
    return this.waiting.length;
  }

  private cost(bytes: number): number {
    return Math.max(bytes, this.opts.minFileBytes);
  }

  private fits(bytes: number): boolean {
    return this.held.size === 0 || this.heldBytes + bytes <= this.opts.capacityBytes;
  }

  /**
   * Resolves once the file is admitted (at once when it already is: a retried claim). Rejects
   * with the signal's reason when the claim is cancelled while waiting.
   */
  reserve(fileId: string, bytes: number, signal?: AbortSignal): Promise<void> {
    this.expireUnadopted();
    if (this.held.has(fileId)) return Promise.resolve();
    const cost = this.cost(bytes);
    if (this.waiting.length === 0 && this.fits(cost)) {
      this.held.set(fileId, { bytes: cost, adopted: false, reservedAt: this.now() });
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        fileId,
        bytes: cost,
        admit: () => {
          signal?.removeEventListener('abort', onAbort);
          this.held.set(fileId, { bytes: cost, adopted: false, reservedAt: this.now() });
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal?.reason ?? new Error('claim cancelled'));
        this.admitWaiting();
      };
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** The file's lease took the reservation over: it lasts until released. False when it was not held. */
  adopt(fileId: string): boolean {
    const h = this.held.get(fileId);
    if (!h) return false;
    h.adopted = true;
    return true;
  }

  release(fileId: string): void {
    if (this.held.delete(fileId)) this.admitWaiting();
  }

  /** Drops reservations no lease took over in time; called on every reservation and periodically. */
  expireUnadopted(): void {
    const cutoff = this.now() - this.opts.unadoptedTtlMs;
    let freed = false;
    for (const [id, h] of this.held) {
      if (!h.adopted && h.reservedAt < cutoff) {
        this.held.delete(id);
        freed = true;
      }
    }
    if (freed) this.admitWaiting();
  }

  private admitWaiting(): void {
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.bytes)) this.waiting.shift()!.admit();
  }
}
