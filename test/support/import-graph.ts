import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

/** One import (or export-from, or dynamic import) of one file of src/, both as paths relative to the repo. */
export interface ImportEdge {
  from: string;
  to: string;
}

/** A layer: the files whose path starts with one of `prefixes` (the longest matching prefix wins). */
export interface Layer {
  name: string;
  prefixes: string[];
}

/**
 * Every relative import of every .ts file under `root` (a repo-relative folder such as `src`), read with the
 * TypeScript compiler's own pre-processor: `import`, `import type`, `export ... from` and `import()` all count.
 */
export function importGraph(repo: string, root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const entry of readdirSync(join(repo, root), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const from = relative(repo, file);
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const imported of info.importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      edges.push({ from, to: relative(repo, resolve(dirname(file), imported.fileName)) });
    }
  }
  return edges;
}

/** The layer of `file`: the one with the longest prefix it starts with; undefined when none matches. */
export function layerOf(file: string, layers: Layer[]): number | undefined {
  let best: { index: number; length: number } | undefined;
  layers.forEach((layer, index) => {
    for (const prefix of layer.prefixes) {
      if (file.startsWith(prefix) && (!best || prefix.length > best.length)) best = { index, length: prefix.length };
    }
  });
  return best?.index;
}

/**
 * The imports that go against `layers` (lowest first): a file may import its own layer and those below it,
 * never one above. A file in no layer is reported too, so a new folder has to be placed.
 */
export function backEdges(edges: ImportEdge[], layers: Layer[]): string[] {
  const problems: string[] = [];
  for (const { from, to } of edges) {
    const a = layerOf(from, layers);
    const b = layerOf(to, layers);
    if (a === undefined) problems.push(`${from} is in no layer`);
    else if (b === undefined) problems.push(`${to} (imported by ${from}) is in no layer`);
    else if (b > a) problems.push(`${from} (${layers[a]!.name}) imports ${to} (${layers[b]!.name}, a higher layer)`);
  }
  return [...new Set(problems)];
}
