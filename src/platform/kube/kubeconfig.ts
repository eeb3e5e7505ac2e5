import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { isMap, LineCounter, parseDocument } from 'yaml';
import { InputError, messageOf } from '../../errors.ts';
import { readInputTextSync } from '../../util/input-text.ts';
import { displayPath } from '../../util/paths.ts';

/**
 * Kubeconfigs are read as hostile input that holds secrets (tokens, client keys, passwords). client-node's own
 * loader parses with js-yaml, whose errors quote the lines around the fault: a kubeconfig with a YAML error
 * would print its token. So each file is parsed here first, and every problem is an InputError that says
 * which kubeconfig and which line, never what is written there.
 */

/** Far above any real kubeconfig (a few KiB, with embedded certificates tens of KiB). */
const MAX_KUBECONFIG_BYTES = 4 * 1024 * 1024;
/** A kubeconfig has no use for YAML aliases beyond a few; many are an expansion attack (a "billion laughs"). */
const MAX_ALIASES = 100;

export interface KubeconfigOptions {
  /** How messages call the kubeconfig (default: "kubeconfig <path>"). */
  name?: string;
  /** Told every token, key and password found, before anything else happens (the action masks them). */
  secret?: (value: string) => void;
}

/**
 * Loads a kubeconfig file, or the default chain (KUBECONFIG's files, else ~/.kube/config, else in-cluster)
 * when none is given. Problems are InputError naming the file (and line), without its content.
 */
export function loadKubeConfig(file?: string, opts: KubeconfigOptions = {}): KubeConfig {
  const files = file ? [{ file, name: opts.name ?? `kubeconfig ${displayPath(file)}` }] : defaultFiles();
  if (files.length === 0) {
    const kc = new KubeConfig();
    kc.loadFromDefault(); // in-cluster service account: no file to parse
    return kc;
  }
  const [first, ...rest] = files.map(({ file: f, name }) => ({ kc: loadOne(f, name, opts.secret), name }));
  for (const { kc, name } of rest) guarded(name, [], () => first!.kc.mergeConfig(kc));
  return first!.kc;
}

/** client-node's default chain of files: every file in KUBECONFIG, else ~/.kube/config when it exists. */
function defaultFiles(): Array<{ file: string; name: string }> {
  const env = process.env.KUBECONFIG;
  if (env)
    return env
      .split(path.delimiter)
      .filter(Boolean)
      .map((f) => ({ file: f, name: `KUBECONFIG file ${displayPath(f)}` }));
  const home = path.join(os.homedir(), '.kube', 'config');
  return existsSync(home) ? [{ file: home, name: `kubeconfig ${displayPath(home)}` }] : [];
}

function loadOne(file: string, name: string, secret: KubeconfigOptions['secret']): KubeConfig {
  let text: string;
  try {
    text = readInputTextSync(file, name, MAX_KUBECONFIG_BYTES, 'a kubeconfig is a few KiB');
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputError(
      `${name}: ${code === 'ENOENT' ? 'no such file' : `cannot be read (${code ?? 'error'})`}; expected a kubeconfig file`,
      {
        cause: err,
      },
    );
  }
  const body = parseKubeconfig(text, name);
  const secrets = secretsIn(body);
  for (const s of secrets) secret?.(s);
  const kc = new KubeConfig();
  // JSON is YAML: client-node's parser gets a document that has already parsed cleanly here.
  guarded(name, secrets, () => kc.loadFromString(JSON.stringify(body)));
  kc.makePathsAbsolute(path.dirname(file));
  return kc;
}

/** Runs a client-node step; its error (a structural one, e.g. "users[0].name is missing") becomes InputError. */
function guarded(name: string, secrets: string[], step: () => void): void {
  try {
    step();
  } catch (err) {
    // No cause: the client's message may quote the kubeconfig's credentials, which only this message scrubs.
    throw new InputError(
      `${name}: ${withoutSecrets(messageOf(err), secrets)}; expected a kubeconfig with clusters, users and contexts`,
    );
  }
}

/**
 * The kubeconfig as plain data. A YAML error is reported by line, column and the parser's error code only
 * (the parser's message may quote the text, and the text holds secrets).
 */
export function parseKubeconfig(text: string, name: string): Record<string, unknown> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const err = doc.errors[0];
  if (err) {
    const { line, col } = lineCounter.linePos(err.pos[0]);
    throw new InputError(
      `${name}:${line}:${col}: not valid YAML (${err.code.toLowerCase().replace(/_/g, ' ')}); fix the kubeconfig at that line`,
    );
  }
  if (!isMap(doc.contents))
    throw new InputError(`${name}: not a kubeconfig (expected a mapping with clusters, users and contexts)`);
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIASES }) as Record<string, unknown>;
  } catch {
    throw new InputError(
      `${name}: more YAML alias expansions than a kubeconfig needs (over ${MAX_ALIASES}); refused as a resource exhaustion attack`,
    );
  }
}

const SECRET_KEY = /token|secret|password|passwd|key-data|^key$|credential/i;
/** Shorter values are not masked: masking "a" or "abc" would garble every log line. */
const MIN_SECRET_LENGTH = 4;

/**
 * Every value in the kubeconfig that must never be printed: under users, each string whose key names a token,
 * secret, password or key (token, client-key-data, auth-provider tokens, exec env values with such names);
 * anywhere, the credentials written into a URL (server, proxy-url).
 */
export function secretsIn(body: unknown): string[] {
  const found = new Set<string>();
  const add = (v: string) => {
    if (v.length >= MIN_SECRET_LENGTH) found.add(v);
  };
  const walk = (v: unknown, inUsers: boolean, key: string): void => {
    if (typeof v === 'string') {
      if (inUsers && SECRET_KEY.test(key)) add(v);
      const url = urlCredentials(v);
      if (url) url.forEach(add);
    } else if (Array.isArray(v)) {
      for (const item of v) walk(item, inUsers, key);
    } else if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // exec env entries are {name, value}: the value is secret when the name says so.
      if (inUsers && typeof o.name === 'string' && typeof o.value === 'string' && SECRET_KEY.test(o.name)) add(o.value);
      for (const [k, child] of Object.entries(o)) walk(child, inUsers || k === 'users', k);
    }
  };
  walk(body, false, '');
  return [...found];
}

function urlCredentials(text: string): string[] | undefined {
  if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(text)) return undefined;
  try {
    const u = new URL(text);
    return [u.password, u.username, decodeURIComponent(u.password)].filter(Boolean);
  } catch {
    return undefined;
  }
}

/** A URL as it may be printed: any user and password replaced by "***". Text that is no URL is returned as is. */
export function redactUrl(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
}

function withoutSecrets(text: string, secrets: string[]): string {
  return secrets.reduce((t, s) => t.split(s).join('***'), redactUrl(text));
}

/**
 * The kubeconfig input as a file path. Content given in its place (a common mistake with
 * `kubeconfig: ${{ secrets.KUBECONFIG }}`) is accepted on purpose: written to a 0600 file in the run's own
 * directory, which the run removes at its end. A value that is neither content nor an existing file is named
 * only when it looks like a path (a base64 kubeconfig or a token pasted there must not be printed).
 */
export async function kubeconfigInput(value: string, workDir: string): Promise<{ file: string; name: string }> {
  if (isKubeconfigContent(value)) {
    const file = path.join(workDir, 'kubeconfig-input');
    await writeFile(file, value.endsWith('\n') ? value : `${value}\n`, { mode: 0o600, flag: 'wx' });
    return { file, name: 'kubeconfig (given as content)' };
  }
  return { file: value, name: kubeconfigPathName(value) };
}

/** A kubeconfig input holding the kubeconfig itself rather than a path to one. */
export const isKubeconfigContent = (value: string): boolean =>
  value.includes('\n') || value.trimStart().startsWith('{');

/** How messages call a kubeconfig path input: the path only when it plainly is one (never a pasted secret). */
export function kubeconfigPathName(value: string): string {
  const shown = value.length <= 200 && /^[\w.~/ -]+$/.test(value) && /[/.]/.test(value);
  return shown
    ? `kubeconfig ${displayPath(value)}`
    : 'kubeconfig (value not repeated: it is not a path this tool can print safely)';
}
