import { entryTriplet, FileStatusEntry } from './statusEntry';
import { stableHash } from './hash';

/**
 * Remembers the most recent `capacity` entry triplets (as short hashes), so a redelivered
 * entry is dropped. Bounded on purpose: it travels through continue-as-new, and upstream
 * emission is already idempotent, so it only has to cover recent redeliveries.
 */
export class RecentTriplets {
  private readonly order: string[];
  private readonly set: Set<string>;

  constructor(
    private readonly capacity: number,
    initial: readonly string[] = [],
  ) {
    this.order = initial.slice(-capacity);
    this.set = new Set(this.order);
  }

  /** True when the entry is new (and now remembered). */
  admit(e: FileStatusEntry): boolean {
    const id = stableHash(entryTriplet(e)).slice(0, 20);
    if (this.set.has(id)) return false;
    this.set.add(id);
    this.order.push(id);
    if (this.order.length > this.capacity) this.set.delete(this.order.shift()!);
    return true;
  }

  snapshot(): string[] {
    return [...this.order];
  }
}
