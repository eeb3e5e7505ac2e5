import v8 from 'node:v8';

/**
 * Keeps V8's young generation at its starting size for the rest of the process; the action entry and the CLI
 * call it first. The action runs as `runs.using: node24`, which takes no node flags, and `--max-semi-space-size`
 * is read only when the heap is created, while the growth factor is read at each growth. Without it, any steady
 * allocation (a run's clients, polls and reports) grows new space 16 → 32 → 64 MB: measured with bench/rss.ts,
 * the action entry peaked at 155–168 MB on a default check and 249–254 MB on the longest scenario list; with it
 * 128–130 MB and 137 MB, at no more CPU. It replaces the CLI's `--max-semi-space-size=8` (117–118 / 129–138 MB
 * with that flag, 108–115 / 133 MB with this; docs/design.md).
 */
export function holdYoungGeneration(): void {
  v8.setFlagsFromString('--semi-space-growth-factor=1');
}
