// What ioredis itself routes with (a dependency of ioredis); imported statically so the bundle contains it.
import calculateSlot from 'cluster-key-slot';

/** The Redis Cluster hash slot of a key (hash tags honoured), as ioredis and Redis compute it. */
export const slotOf = (key: string): number => calculateSlot(key);

export const inRanges = (slot: number, ranges: ReadonlyArray<readonly [number, number]>): boolean =>
  ranges.some(([from, to]) => slot >= from && slot <= to);

/**
 * A hash tag (`{…}`) whose slot lies in `ranges`, so every key built with it lands on the node owning those
 * slots. `prefix` keeps the keys of one run apart from another's.
 */
export function hashTagIn(ranges: ReadonlyArray<readonly [number, number]>, prefix: string): string {
  if (ranges.length === 0) throw new Error('no slot ranges to place keys in');
  // A tag falls in a range with probability (range size / 16384): a million tries finds even a single slot.
  for (let i = 0; i < 1_000_000; i++) {
    const tag = `{${prefix}-${i}}`;
    if (inRanges(slotOf(tag), ranges)) return tag;
  }
  throw new Error(`found no hash tag for slots ${ranges.map(([a, b]) => `${a}-${b}`).join(',')}`);
}
