import { cpSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** The overlay fixture with its base filled in: kustomize reads nothing outside a kustomization's directory. */
export function kustomizeOverlay(dir: string): string {
  cpSync('test/fixtures/kustomize', dir, { recursive: true });
  for (const f of readdirSync('manifests').filter((n) => n.endsWith('.yaml')))
    cpSync(path.join('manifests', f), path.join(dir, 'base', f));
  return path.join(dir, 'overlay');
}
