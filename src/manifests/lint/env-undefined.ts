import path from 'node:path/posix';
import { locateLineInString } from '../load.ts';
import type { ContainerView, Located, ManifestObject, ManifestSet } from '../model.ts';
import { assignedNames, isShellScript, parameterRefs, shellCommands, shellInvocation } from '../shell.ts';
import {
  type LintFinding,
  arrayAt,
  isObject,
  objectsOfKind,
  stringAt,
  valueAt,
  type LintRule,
  type Path,
} from './rule.ts';
import { containerPath } from './redis-view.ts';

const ID = 'env-undefined';

/** Set in every container by the shell or the runtime: the shell's own parameters, HOSTNAME (the pod name, set by
 * the kubelet), HOME and PATH (the runtime's defaults or the image's). */
const ALWAYS_SET = new Set([
  'HOSTNAME',
  'HOME',
  'PATH',
  'PWD',
  'OLDPWD',
  'IFS',
  'PS1',
  'PS2',
  'PS4',
  'SHLVL',
  'PPID',
  'RANDOM',
  'LINENO',
  'OPTARG',
  'OPTIND',
  'SECONDS',
  'UID',
  'EUID',
  'TERM',
]);
/** What the official Redis and Valkey images set with ENV (their Dockerfiles). */
const IMAGE_ENV = /^(REDIS|VALKEY)_(VERSION|DOWNLOAD_URL|DOWNLOAD_SHA)$|^GOSU_VERSION$/;
/** Service links the kubelet sets for every Service of the namespace (enableServiceLinks, on by default). */
const SERVICE_LINK = /_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_[A-Z0-9_]+)?)$/;

interface Script {
  text: string;
  /** Where line n of the script is written. */
  locate(line: number): Located;
  /** What the message calls it: "the sh -c script of container redis", "ConfigMap x key y". */
  description: string;
  /** Command and args, where Kubernetes expands $(NAME) before the shell runs. */
  inManifest: boolean;
}

export const envUndefined: LintRule = {
  id: ID,
  summary: 'every environment variable a container command or mounted script uses is defined in the container',
  check({ set, redis }) {
    if (!redis) return [];
    const findings: LintFinding[] = [];
    const sts = redis.statefulSet;
    const containers: Array<[ContainerView, Path]> = [
      [redis.container, containerPath(redis)],
      ...redis.initContainers.map((ic): [ContainerView, Path] => [ic, initPath(sts, ic.name)]),
    ];
    for (const [c, cPath] of containers) {
      const defined = definedNames(set, sts, c, cPath);
      if (!defined) continue; // envFrom names an object outside the manifests: its keys are unknown
      const scripts = scriptsOf(set, sts, c, cPath);
      const exported = new Set(scripts.filter((s) => s.inManifest).flatMap((s) => [...assignedNames(s.text)]));
      for (const script of scripts) {
        const own = assignedNames(script.text);
        const nounset = /(^|[\s;])set\s+(-[a-zA-Z]*u|-o\s+nounset)/m.test(script.text);
        const refs = parameterRefs(script.text);
        // A script that gives a name a default or tests for it anywhere (`${X:-}`) handles its absence.
        const seen = new Set(refs.filter((r) => r.use === 'guarded').map((r) => r.name));
        for (const ref of refs) {
          if (seen.has(ref.name)) continue;
          if (ref.use === 'kubernetes' && !script.inManifest) continue; // in a file, $(NAME) is a command
          if (defined.has(ref.name) || own.has(ref.name) || exported.has(ref.name)) continue;
          if (ALWAYS_SET.has(ref.name) || IMAGE_ENV.test(ref.name) || SERVICE_LINK.test(ref.name)) continue;
          seen.add(ref.name);
          findings.push({
            rule: ID,
            severity: 'warning',
            message:
              ref.use === 'kubernetes'
                ? `container ${c.name}: $(${ref.name}) in ${script.description} is defined nowhere in the container's env`
                : `container ${c.name}: ${script.description} uses $${ref.name}, which the container never sets`,
            fix:
              (ref.use === 'kubernetes'
                ? `Kubernetes expands $(${ref.name}) only for a variable the container defines and leaves it as written otherwise; the shell then runs \`${ref.name}\` as a command and substitutes nothing. `
                : ref.use === 'required' || nounset
                  ? `The script exits when ${ref.name} is unset (${ref.use === 'required' ? `\${${ref.name}:?}` : 'set -u'}), so the pod exits 1 at every start and never returns. `
                  : `It expands to an empty string, so whatever it should carry (an address, a password, a path) is silently missing when the pod starts. `) +
              `Define ${ref.name} in the container's env (a value, a fieldRef such as status.podIP, or a secretKeyRef), or give the script a default (\${${ref.name}:-…}).`,
            at: script.locate(ref.line),
          });
        }
      }
    }
    return findings;
  },
};

function initPath(sts: ManifestObject, name: string): Path {
  const i = arrayAt(sts.body, ['spec', 'template', 'spec', 'initContainers']).findIndex(
    (ic) => stringAt(ic, ['name']) === name,
  );
  return ['spec', 'template', 'spec', 'initContainers', Math.max(0, i)];
}

/** The container's env names, its envFrom keys (with their prefix); undefined when envFrom names an object the
 * manifests do not hold (optional or not: its keys cannot be known). */
function definedNames(set: ManifestSet, sts: ManifestObject, c: ContainerView, cPath: Path): Set<string> | undefined {
  const names = new Set(c.env.map((e) => e.name));
  for (const from of arrayAt(sts.body, [...cPath, 'envFrom'])) {
    const prefix = stringAt(from, ['prefix']) ?? '';
    const ref = isObject(valueAt(from, ['configMapRef'])) ? 'configMapRef' : 'secretRef';
    const kind = ref === 'configMapRef' ? 'ConfigMap' : 'Secret';
    const name = stringAt(from, [ref, 'name']);
    const obj = objectsOfKind(set, kind).find((o) => o.name === name);
    if (!obj) return undefined;
    for (const field of ['data', 'stringData', 'binaryData'])
      for (const key of Object.keys(isObject(valueAt(obj.body, [field])) ? (valueAt(obj.body, [field]) as object) : {}))
        names.add(prefix + key);
  }
  return names;
}

/** The shell scripts the container runs that the manifests hold: its `sh -c` script and the mounted files it runs. */
function scriptsOf(set: ManifestSet, sts: ManifestObject, c: ContainerView, cPath: Path): Script[] {
  const argv = [...c.command, ...c.args];
  const argvPath = (i: number): Path =>
    i < c.command.length ? [...cPath, 'command', i] : [...cPath, 'args', i - c.command.length];
  const scripts: Script[] = [];
  const shell = shellInvocation(argv);
  const words = [...argv];
  if (shell) {
    const p = argvPath(shell.scriptIndex);
    scripts.push({
      text: shell.script,
      locate: (line) => locateLineInString(sts, p, line) ?? sts.locate(p),
      description: `the ${path.basename(argv[0]!)} -c script`,
      inManifest: true,
    });
    words.push(
      ...shellCommands(shell.script)
        .flat()
        .map((w) => w.text),
    );
  }
  const seen = new Set<string>();
  for (const word of words) {
    if (!/^[./]/.test(word) || word.includes('$')) continue;
    const file = path.resolve(c.workingDir, word);
    if (seen.has(file)) continue;
    seen.add(file);
    const mounted = mountedFile(set, c, file);
    if (mounted && isShellScript(mounted.text)) scripts.push({ ...mounted, inManifest: false });
  }
  return scripts;
}

/** A file on one of the container's ConfigMap or Secret mounts, located in its object's `data` block. */
function mountedFile(set: ManifestSet, c: ContainerView, file: string) {
  for (const m of c.mounts) {
    if (m.source.type !== 'configMap' && m.source.type !== 'secret') continue;
    const rel = path.relative(m.mountPath, file);
    const text = m.source.files[rel];
    if (text === undefined || rel.startsWith('..')) continue;
    const kind = m.source.type === 'configMap' ? 'ConfigMap' : 'Secret';
    const name = m.source.type === 'configMap' ? m.source.configMap : m.source.secret;
    const obj = objectsOfKind(set, kind).find((o) => o.name === name);
    const data = obj ? valueAt(obj.body, ['data']) : undefined;
    const key = isObject(data) ? Object.keys(data).find((k) => data[k] === text) : undefined;
    return {
      text,
      description: `${kind} ${name} key ${key ?? rel}`,
      locate: (line: number): Located =>
        (obj && key !== undefined ? locateLineInString(obj, ['data', key], line) : undefined) ??
        obj?.locate(['data']) ??
        sts0(set),
    };
  }
  return undefined;
}

function sts0(set: ManifestSet): Located {
  return set.objects[0]?.at ?? { file: set.dir, line: 1, column: 1 };
}
