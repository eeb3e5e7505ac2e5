import path from 'node:path/posix';
import { InputError } from '../errors.ts';
import { initContainerView, POD_SPEC_PATH, type RedisContainer } from './container.ts';
import { describeAt, type ServerLaunch } from './invocation.ts';
import { findConfigRenderer, type KnownFile, type RenderedConfig } from './launch.ts';
import { locateLineInString } from './load.ts';
import type { LaunchGap, LaunchView, Located, MountView, RedisDirective } from './model.ts';
import { knownFile, mountIn } from './mounts.ts';
import { objectsAt, type Path } from './object-path.ts';
import { parseRedisConf } from './redis-conf.ts';
import { fileWrittenByScript } from './script-config.ts';
import { isShellScript, shellInvocation } from './shell.ts';

/** What the server's config file argument gives: the file, how well its content is known, its directives. */
export interface ConfigRead {
  configFile: string | undefined;
  config: LaunchView['config'];
  /** The init container that writes the file, when one does. */
  renderedBy: string | undefined;
  directives: RedisDirective[];
}

/** The file's content as far as the manifests hold it. */
interface ConfigText {
  main?: KnownFile;
  config: LaunchView['config'];
  renderedBy?: string;
}

/**
 * Reads the config file the server is started with: from a ConfigMap or Secret mount, else the template an init
 * container renders it from, else what the container's own script writes; InputError when none holds it. Whatever
 * only the running pod knows is said into `gaps`.
 */
export function readConfigFile(c: RedisContainer, launch: ServerLaunch, gaps: LaunchGap[]): ConfigRead {
  const { invocation, parsed } = launch;
  const none = { configFile: undefined, renderedBy: undefined, directives: [] };
  if (!parsed.configFile) return { ...none, config: invocation ? 'static' : 'unknown' };
  const argIndex = parsed.configFile.index + 1;
  if (invocation?.dynamic.has(argIndex)) return { ...none, config: 'unknown' };
  const configFile = path.resolve(c.workingDir, parsed.configFile.path);
  const text = configText(c, launch, configFile, describeAt(launch.argAt(argIndex)), gaps);
  return {
    configFile,
    config: text.config,
    renderedBy: text.renderedBy,
    directives: text.main ? fileDirectives(c, configFile, text.main, text, gaps) : [],
  };
}

function configText(
  c: RedisContainer,
  launch: ServerLaunch,
  configFile: string,
  where: string,
  gaps: LaunchGap[],
): ConfigText {
  const program = launch.server.program;
  const read = (file: string) => knownFile(c.set, c.mountFor(file), file);
  const mounted = read(configFile);
  if (mounted) return { main: mounted, config: 'static' };
  const m = c.mountFor(configFile);
  const rendered =
    m && m.source.type !== 'configMap' && m.source.type !== 'secret' ? renderedConfig(c, m, configFile) : undefined;
  if (rendered) {
    gaps.push({ at: rendered.at, message: renderedGap(program, configFile, rendered) });
    const renderedBy = rendered.initContainer;
    return rendered.template
      ? { main: rendered.template.file, config: 'template', renderedBy }
      : { config: 'unknown', renderedBy };
  }
  const own = writtenByOwnScript(c, (p) => read(path.resolve(c.workingDir, p)), configFile);
  if (own === 'unknown') {
    gaps.push({
      at: c.sts.locate(c.argvPath(0)),
      message: `${program} reads ${configFile}, which the container's own script writes at start in a way lint does not read; its content is known only when the pod runs`,
    });
    return { config: 'unknown' };
  }
  if (own) {
    gaps.push({
      at: own.file.locateLine(1),
      message:
        `${program} reads ${configFile}, which the container's own script writes at start (${own.file.description})` +
        (own.templated ? '; its expansions are filled in only when the pod runs' : ''),
    });
    return { main: own.file, config: own.templated ? 'template' : 'static' };
  }
  throw missingConfigError(launch, configFile, m, where);
}

function renderedGap(program: string, configFile: string, rendered: RenderedConfig): string {
  return (
    `${program} reads ${configFile}, which init container ${rendered.initContainer} writes at start` +
    (rendered.template
      ? ` from ${rendered.template.path} (${rendered.template.file.description}); its placeholders are filled in only when the pod runs`
      : ' from nothing among the manifests; its content is known only when the pod runs')
  );
}

function missingConfigError(
  launch: ServerLaunch,
  configFile: string,
  m: MountView | undefined,
  where: string,
): InputError {
  const { program, kind } = launch.server;
  return new InputError(
    `${where}: ${program} reads ${configFile}, but ` +
      (m?.source.type === 'configMap'
        ? `ConfigMap ${m.source.configMap} ${Object.keys(m.source.files).length ? `mounted at ${m.mountPath} has no such file (it has ${Object.keys(m.source.files).join(', ')})` : 'is not among the manifests'}`
        : `it is not on a ConfigMap mount (${m ? `${m.mountPath} is ${m.source.type}` : 'no volume is mounted there'}) and no init container writes it`) +
      `; mount a ConfigMap holding ${kind === 'valkey' ? 'valkey.conf' : 'redis.conf'} there`,
  );
}

/** The config file's directives (its includes' too), located; a template's placeholders are gaps. */
function fileDirectives(
  c: RedisContainer,
  configFile: string,
  main: KnownFile,
  text: ConfigText,
  gaps: LaunchGap[],
): RedisDirective[] {
  const read = (file: string) => knownFile(c.set, c.mountFor(file), file);
  const readText = (file: string) => read(file)?.text;
  const templated = text.config === 'template';
  const directives: RedisDirective[] = [];
  for (const d of parseRedisConf(main.text, { file: configFile, cwd: c.workingDir, readInclude: readText })) {
    const located = d.file === configFile ? main.locateLine(d.line) : read(d.file)?.locateLine(d.line);
    directives.push({
      name: d.name,
      args: d.args,
      from: { kind: 'file', path: d.file, line: d.line, ...(located ? { at: located } : {}) },
    });
    if (templated && d.args.some((a) => /\$\{?[A-Za-z_]|\{\{/.test(a))) {
      gaps.push({
        at: located ?? c.sts.locate(c.argvPath(0)),
        message: `${d.name} ${d.args.join(' ')} ${text.renderedBy ? 'is a placeholder the init container fills in' : 'is a placeholder filled in when the container starts'}`,
      });
    }
  }
  return directives;
}

/** The init container that writes the Redis container's config file (on a volume both mount), and its template. */
function renderedConfig(c: RedisContainer, mount: MountView, configFile: string): RenderedConfig | undefined {
  const { set, sts, podSpec, claimNames } = c;
  const rel = path.relative(mount.mountPath, configFile);
  const inits = objectsAt(podSpec, ['initContainers']).map((ic, i) => {
    const icPath: Path = [...POD_SPEC_PATH, 'initContainers', i];
    const view = initContainerView(set, sts, podSpec, ic, icPath, claimNames);
    const shared = view.mounts.find((m) => m.name === mount.name);
    return {
      name: view.name,
      argv: [...view.command, ...view.args],
      at: sts.locate([...icPath, view.command.length ? 'command' : 'args']),
      readFile: (p: string) => knownFile(set, mountIn(view.mounts, p), p),
      target: shared ? path.join(shared.mountPath, rel) : undefined,
    };
  });
  return findConfigRenderer(inits);
}

/**
 * The config file as the Redis container's own script writes it before starting the server (a `sh -c` script, or
 * a mounted script it runs), with each line located where the script writes it.
 */
function writtenByOwnScript(
  c: RedisContainer,
  readFile: (p: string) => KnownFile | undefined,
  configFile: string,
): { file: KnownFile; templated: boolean } | 'unknown' | undefined {
  const { argv, argvPath, sts } = c;
  const shell = shellInvocation(argv);
  const mounted = shell ? undefined : argv[0] !== undefined ? readFile(argv[0]) : undefined;
  const script = shell?.script ?? (mounted && isShellScript(mounted.text) ? mounted.text : undefined);
  if (script === undefined) return undefined;
  const written = fileWrittenByScript(script, configFile, c.workingDir);
  if (written === undefined || written === 'unknown') return written;
  const locateScriptLine = (line: number): Located =>
    shell
      ? (locateLineInString(sts, argvPath(shell.scriptIndex), line) ?? sts.locate(argvPath(shell.scriptIndex)))
      : mounted!.locateLine(line);
  return {
    templated: written.templated,
    file: {
      text: written.text,
      description: shell ? `its ${path.basename(argv[0]!)} -c script` : mounted!.description,
      locateLine: (line) => locateScriptLine(written.scriptLine[line - 1] ?? written.scriptLine[0] ?? 1),
    },
  };
}
