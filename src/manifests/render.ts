import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, lstat, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CancelledError, InputError } from '../errors.ts';
import { displayPath } from '../util/paths.ts';
import { redact } from '../util/secrets.ts';

/** What to render the manifests from: a Helm chart or a kustomize directory, instead of plain YAML. */
export interface RenderSettings {
  /** A local chart directory or packaged chart (.tgz). */
  chart?: string;
  /** Values files for the chart, in order (later ones win, as with `helm -f`). */
  values: string[];
  /** `--set` expressions for the chart, each as helm takes it (`key=value`, `a.b=c,d=e`). */
  set: string[];
  /** The release name the chart is rendered for (its objects are usually named after it). */
  release: string;
  /** A directory with a kustomization.yaml, rendered with `kubectl kustomize`. */
  kustomize?: string;
}

/** Where rendered manifests go inside the report dir (kept in the report artifact). */
export const RENDERED_DIR = 'rendered';
/** Written first into RENDERED_DIR: a later run removes only a directory that carries it. */
const MARKER = '.redis-cluster-resilience-rendered';
/** Longest a render may take; rendering is local (no repositories are fetched), so this is generous. */
const RENDER_TIMEOUT_MS = 120_000;
/** Rendered output larger than this is refused (the manifest loader's own cap is 4 MiB per file). */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

/** True when the settings ask for a render (chart or kustomize) rather than plain manifests. */
export function wantsRender(s: RenderSettings): boolean {
  return s.chart !== undefined || s.kustomize !== undefined;
}

/**
 * Renders the chart (`helm template`) or the kustomization (`kubectl kustomize`) into `outDir`/rendered, one file
 * per chart template (named after its `# Source:` path, `templates__statefulset.yaml`), so that every finding's
 * file names the template it comes from. Returns the directory to load. The runner's own helm and kubectl are used
 * (found on PATH). Only local charts and values files are taken (helm would fetch a chart reference or a values
 * URL from the network); a kustomization may still list remote resources (a git URL, which kustomize clones:
 * kubectl.docs.kubernetes.io, kustomization resources), bounded by the render's timeout like the rest.
 */
export async function renderManifests(
  s: RenderSettings,
  outDir: string,
  opts: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  if (s.chart !== undefined && s.kustomize !== undefined)
    throw new InputError('chart and kustomize are two ways to give the manifests: give one of them');
  const env = opts.env ?? process.env;
  let text: string;
  let tool: string;
  if (s.chart !== undefined) {
    await mustExist(s.chart, 'chart', 'a chart directory (with Chart.yaml) or a packaged chart (.tgz)');
    for (const v of s.values) await mustExist(v, 'values', 'a values file on disk (URLs are not fetched)');
    tool = await findTool('helm', env, 'https://helm.sh/docs/intro/install/ (GitHub-hosted runners have it)');
    const args = ['template', s.release, s.chart, '--skip-tests'];
    for (const v of s.values) args.push('--values', v);
    for (const x of s.set) args.push('--set', x);
    text = await run(tool, args, env, opts.signal, 'helm template');
  } else if (s.kustomize !== undefined) {
    await mustExist(s.kustomize, 'kustomize', 'a directory with a kustomization.yaml');
    tool = await findTool(
      'kubectl',
      env,
      'https://kubernetes.io/docs/tasks/tools/ (kubectl 1.27 or newer brings kustomize v5; GitHub-hosted runners have it)',
    );
    text = await run(tool, ['kustomize', s.kustomize], env, opts.signal, 'kubectl kustomize');
  } else {
    throw new InputError('nothing to render: give chart or kustomize');
  }
  const dir = await freshRenderedDir(outDir);
  const files = s.chart !== undefined ? bySource(text) : new Map([['kustomize.yaml', text]]);
  for (const [name, body] of files) await writeFile(path.join(dir, name), body, { flag: 'wx', mode: 0o644 });
  return dir;
}

/**
 * A run from plain manifests removes the rendered/ an earlier chart or kustomize run left in the same report dir
 * (the artifact would show manifests this run did not use); one this tool did not write is left alone.
 */
export async function removeStaleRendered(outDir: string): Promise<void> {
  const dir = path.join(outDir, RENDERED_DIR);
  if ((await renderedDirState(dir)) === 'ours') await rm(dir, { recursive: true, force: true });
}

/** Whether `dir` is absent, a directory carrying this tool's marker, or anything else (a link included). */
async function renderedDirState(dir: string): Promise<'absent' | 'ours' | 'foreign'> {
  const st = await lstat(dir).catch(() => undefined);
  if (!st) return 'absent';
  const marked =
    st.isDirectory() &&
    (await lstat(path.join(dir, MARKER)).then(
      (m) => m.isFile(),
      () => false,
    ));
  return marked ? 'ours' : 'foreign';
}

/**
 * The rendered files with every registered secret replaced by ***, once they are loaded (the run uses the objects
 * read, never the files again): rendered/ is kept in the report artifact, and a chart's Secret holds what its
 * values or `--set` gave it (a password from the workflow's secrets). Line numbers stay as the findings name them.
 */
export async function redactRendered(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const file = path.join(dir, name);
    const text = await readFile(file, 'utf8');
    const clean = redact(text);
    if (clean !== text) await writeFile(file, clean);
  }
}

/** Helm's output split by its `# Source: chart/templates/x.yaml` comments, one file per template. */
export function bySource(text: string): Map<string, string> {
  const files = new Map<string, string>();
  let name = 'rendered.yaml';
  for (const doc of text.split(/^---[ \t]*$/m)) {
    const source = /^# Source: (.+)$/m.exec(doc)?.[1]?.trim();
    if (source) {
      // Drop the chart's own name (the first part); a subchart keeps its charts/<name>/ prefix.
      const rel = source.split('/').slice(1).join('/') || source;
      name = `${rel.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9._-]+/g, '__')}.yaml`;
    }
    if (doc.trim() === '') continue;
    files.set(name, `${files.has(name) ? `${files.get(name)!}---\n` : ''}${doc.replace(/^\n/, '')}`);
  }
  return files;
}

async function mustExist(p: string, input: string, what: string): Promise<void> {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(p) || p.startsWith('oci:'))
    throw new InputError(`${input} ${p}: must be ${what}; nothing is fetched from the network`);
  const st = await stat(p).catch(() => undefined);
  if (!st) throw new InputError(`${input} ${displayPath(p)} does not exist: give ${what}`);
}

/** The program on PATH, or an InputError saying how to get it. */
async function findTool(name: string, env: NodeJS.ProcessEnv, howTo: string): Promise<string> {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    const candidate = path.join(dir, name);
    if (
      await access(candidate, constants.X_OK).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new InputError(`${name} is not on PATH; install it: ${howTo}`);
}

function run(tool: string, args: string[], env: NodeJS.ProcessEnv, signal: AbortSignal | undefined, what: string) {
  return new Promise<string>((resolve, reject) => {
    execFile(
      tool,
      args,
      { env, timeout: RENDER_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: MAX_OUTPUT_BYTES, signal, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) {
          resolve(stdout);
          return;
        }
        if (signal?.aborted) {
          reject(new CancelledError(what));
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        const why = e.killed
          ? `did not finish within ${RENDER_TIMEOUT_MS / 1000} s`
          : e.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER'
            ? `printed more than ${MAX_OUTPUT_BYTES / 1024 / 1024} MiB`
            : `failed: ${stderr.trim().split('\n').slice(-5).join(' / ') || e.message}`;
        reject(new InputError(`${what} ${why}`, { cause: err }));
      },
    );
  });
}

/** outDir/rendered, empty: one an earlier run wrote (it has the marker) is replaced; anything else is refused. */
async function freshRenderedDir(outDir: string): Promise<string> {
  const dir = path.join(outDir, RENDERED_DIR);
  const found = await renderedDirState(dir);
  if (found === 'foreign')
    throw new InputError(
      `${displayPath(dir)} exists and was not written by this tool: remove it or choose another report-dir`,
    );
  if (found === 'ours') await rm(dir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await mkdir(dir); // not recursive: fails if something took the name since
  await writeFile(path.join(dir, MARKER), 'rendered manifests of redis-cluster-resilience\n', { flag: 'wx' });
  return dir;
}
