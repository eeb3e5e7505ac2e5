import { InputError, messageOf } from './errors.ts';
import { readInputTextSync } from './util/input-text.ts';
import { registerSecret } from './util/secrets.ts';
import { SCENARIO_NAMES, type ScenarioName } from './scenarios/model.ts';
import type { PlatformSettings } from './platform/select.ts';
import type { RenderSettings } from './manifests/render.ts';

/** Validated settings for one run. CLI flags and action inputs both go through parseConfig. The platform's
 * settings (where the pods run, the restart hold, kind, the existing cluster) are the seam's own type. */
export interface Config extends PlatformSettings, RenderSettings {
  command: 'check' | 'lint' | 'cleanup';
  manifests: string;
  /** The manifests as on the pull request's base: the rollout scenario deploys them, then applies `manifests`. */
  baseManifests?: string;
  reportDir: string;
  masters?: number;
  replicasPerMaster?: number;
  /** Scenarios to run in order on the same cluster. */
  scenario: ScenarioName[];
  /** Pod name of the master to delete; default: the master of the lowest slots. */
  victim?: string;
  holdRestart: boolean;
  killMode: 'graceful' | 'kill';
  /** Who forms the cluster: the manifests (a Job running `redis-cli --cluster create`, a hook, a script), the
   * tool, or auto: the manifests when they do (manifests/self-bootstrap.ts), else the tool. */
  bootstrap: 'self' | 'tool' | 'auto';
  writeRate: number;
  writeWait: boolean;
  maxFailoverMs?: number;
  maxUnavailableMs?: number;
  maxLostWrites: number;
  /** With base-manifests: how much slower than the base's the head's failover may be (percent). */
  maxFailoverRegressionPct?: number;
  /** With base-manifests: how much longer than the base's the head's refused-writes window may be (percent). */
  maxUnavailableRegressionPct?: number;
  /** cluster-restart: every pod back to the cluster re-formed (ms). */
  maxReformMs?: number;
  /** master-partition: how long the master stays cut off (ms); unset: the failover floor plus 5 s. */
  partitionMs?: number;
  /** cluster-restart: a pod left running while every other Redis pod is deleted (the all-but-one case). */
  restartSpare?: string;
  /** Unset: from the manifests' cluster-node-timeout (redis/failover-timing.ts). */
  failoverTimeoutMs?: number;
  rejoinTimeoutMs: number;
  /** Severity of the placement check (a shard with every copy on one node), after the bootstrap and every scenario. */
  placement: 'fail' | 'warn' | 'off';
  /** node-loss: the lost node comes back (restart) or its Node object is deleted too (delete). */
  nodeLossMode: 'restart' | 'delete';
  failOnLint: 'error' | 'warning' | 'never';
  /** Kubernetes version the manifests are linted for (removed APIs); default: the linter's own. */
  kubernetesVersion?: string;
  /** Redis password when the manifests do not hold it (a Secret only in the cluster); redacted everywhere. */
  redisPassword?: string;
  /** Token for the pull-request comment (`comment: true`); redacted everywhere. */
  githubToken?: string;
  /** Post pr-comment.md on the pull request as one comment per commentKey, updated on every push. */
  comment: boolean;
  /** Which comment is this job's; default: the job's id (GITHUB_JOB). Matrix jobs set one per cell. */
  commentKey?: string;
  /** A file holding the Redis password (read into redisPassword), so that it is in no process list. */
  redisPasswordFile?: string;
  keepCluster: boolean;
  /** Root of the run dirs (undo/work-dir.ts); default: under RUNNER_TEMP, else a private per-user temp dir. */
  workDir?: string;
  // Local platform
  /** First loopback /24 to take pod addresses from (each claimed for the run); default: the platform's. */
  addressBase?: string;
}

/** lines: one value per line of an action input, or per repetition of a flag (`--values a.yaml --values b.yaml`). */
type Kind = 'string' | 'list' | 'lines' | 'int' | 'bool' | 'ms' | 'percent';

interface OptionSpec {
  key: keyof Config;
  kind: Kind;
  choices?: readonly string[];
  /** For strings: the form a value must have, and how to say it. */
  pattern?: { test: RegExp; expected: string };
  min?: number;
  /** For numbers: the largest value taken (a bound on what the value sizes), and why. */
  max?: { value: number; why: string };
  description: string;
}

/** One table for every option: the name is the action input and, with `--`, the CLI flag. */
export const OPTIONS: Record<string, OptionSpec> = {
  manifests: {
    key: 'manifests',
    kind: 'string',
    description: 'Directory with the Redis Cluster manifests (default: the manifests shipped with the tool)',
  },
  chart: {
    key: 'chart',
    kind: 'string',
    description:
      "A local Helm chart (directory or .tgz) to render with the runner's helm (helm template) instead of plain manifests; the rendered files are kept in report-dir/rendered/",
  },
  values: {
    key: 'values',
    kind: 'lines',
    description: 'Values files for chart, in order (one per line; the CLI flag may be repeated)',
  },
  set: {
    key: 'set',
    kind: 'lines',
    description: 'helm --set expressions for chart (key=value; one per line; the CLI flag may be repeated)',
  },
  release: {
    key: 'release',
    kind: 'string',
    pattern: {
      test: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      expected: 'a release name of lower-case letters, digits and dashes (as helm takes)',
    },
    description: 'Release name the chart is rendered for',
  },
  kustomize: {
    key: 'kustomize',
    kind: 'string',
    description:
      "A kustomize directory to render with the runner's kubectl (kubectl kustomize) instead of plain manifests; the rendered file is kept in report-dir/rendered/",
  },
  platform: {
    key: 'platform',
    kind: 'string',
    choices: ['auto', 'kind', 'existing', 'local'],
    description: 'Where the pods run',
  },
  'base-manifests': {
    key: 'baseManifests',
    kind: 'string',
    description:
      "Directory with the manifests as on the pull request's base: scenario rollout deploys them, starts the writers and applies the manifests over them as kubectl apply does",
  },
  'report-dir': {
    key: 'reportDir',
    kind: 'string',
    description:
      'Directory for report.json, summary.md, junit.xml and a timeline-<scenario>.svg per scenario; files an earlier run wrote there are removed first (nothing else)',
  },
  masters: {
    key: 'masters',
    kind: 'int',
    min: 1,
    description: 'Number of masters (default: from the StatefulSet replicas)',
  },
  'replicas-per-master': {
    key: 'replicasPerMaster',
    kind: 'int',
    min: 0,
    description: 'Replicas per master (default: from the StatefulSet replicas)',
  },
  scenario: {
    key: 'scenario',
    kind: 'list',
    choices: SCENARIO_NAMES,
    description: 'Scenario, or a comma-separated list run in order on the same cluster',
  },
  victim: {
    key: 'victim',
    kind: 'string',
    description: 'Pod name of the master to delete (default: the master holding slot 0)',
  },
  'hold-restart': { key: 'holdRestart', kind: 'bool', description: 'Hold the deleted pod until the failover is done' },
  'hold-mode': {
    key: 'holdMode',
    kind: 'string',
    choices: ['quota', 'cordon'],
    description:
      "Kubernetes: hold the restart with a ResourceQuota in the run's namespace (quota, touches no node) or by cordoning every node (cordon, opt-in)",
  },
  'quota-hold-shared': {
    key: 'quotaHoldShared',
    kind: 'bool',
    description:
      "Kubernetes, hold-mode quota in a given namespace that runs other workloads: take the hold anyway (while it holds, none of the namespace's pods can be created); refused unless true",
  },
  'kill-mode': {
    key: 'killMode',
    kind: 'string',
    choices: ['graceful', 'kill'],
    description:
      "graceful (SIGTERM, the pod's grace period) or kill (SIGKILL locally; a 1 s grace period on Kubernetes)",
  },
  bootstrap: {
    key: 'bootstrap',
    kind: 'string',
    choices: ['auto', 'self', 'tool'],
    description:
      "Who forms the cluster: self (the manifests' own Job, hook or script, waited for up to 180 s), tool (this tool; Jobs that bootstrap are not run), auto (self when the manifests bootstrap, else tool)",
  },
  'write-rate': {
    key: 'writeRate',
    kind: 'int',
    min: 0,
    // Every write is kept until the end (the lost-write and data checks read each key back) and the writer keeps
    // up to 2 × rate × the command timeout in flight: the rate sizes memory. A rate of 10^9 aborted the heap.
    max: { value: 5000, why: 'every write is recorded for the lost-write check, so the rate decides memory' },
    description: "Writes per second into the victim's slots during the scenario (0: off)",
  },
  'write-wait': {
    key: 'writeWait',
    kind: 'bool',
    description: 'Follow every write with WAIT 1 (acknowledged by a replica)',
  },
  'max-failover-ms': { key: 'maxFailoverMs', kind: 'ms', description: 'Fail when the failover takes longer (ms)' },
  'max-unavailable-ms': {
    key: 'maxUnavailableMs',
    kind: 'ms',
    description: 'Fail when writes are refused for longer (ms)',
  },
  'max-reform-ms': {
    key: 'maxReformMs',
    kind: 'ms',
    description:
      'cluster-restart: fail when the cluster takes longer to re-form after every pod is back (ms; default 60000)',
  },
  'restart-spare': {
    key: 'restartSpare',
    kind: 'string',
    description:
      'cluster-restart: a pod left running while every other Redis pod is deleted at once (the all-but-one case: the others find it at its unchanged address through their nodes.conf, so Redis re-forms on its own); default: none, every pod is deleted',
  },
  'partition-ms': {
    key: 'partitionMs',
    kind: 'ms',
    min: 1,
    description:
      'master-partition: how long the master and a client on its side stay cut off from the other Redis nodes (default: node timeout + election + 5 s)',
  },
  'max-failover-regression': {
    key: 'maxFailoverRegressionPct',
    kind: 'percent',
    description:
      'With base-manifests: fail a scenario whose failover on the head manifests is more than this much slower than on the base (e.g. 20%)',
  },
  'max-unavailable-regression': {
    key: 'maxUnavailableRegressionPct',
    kind: 'percent',
    description:
      'With base-manifests: fail a scenario whose writes are refused for more than this much longer on the head manifests than on the base (e.g. 20%)',
  },
  'max-lost-writes': {
    key: 'maxLostWrites',
    kind: 'int',
    min: 0,
    description: 'Fail when more acknowledged writes are lost',
  },
  'rollout-timeout': {
    key: 'rolloutTimeoutMs',
    kind: 'ms',
    min: 1,
    description: 'How long to wait for the pods to be ready (ms)',
  },
  'failover-timeout': {
    key: 'failoverTimeoutMs',
    kind: 'ms',
    min: 1,
    description:
      'How long to wait for the failover (default: from cluster-node-timeout, its floor plus 10 s, at least 60 s)',
  },
  'rejoin-timeout': {
    key: 'rejoinTimeoutMs',
    kind: 'ms',
    min: 1,
    description: 'How long to wait for the deleted pod to come back and rejoin (ms)',
  },
  placement: {
    key: 'placement',
    kind: 'string',
    choices: ['fail', 'warn', 'off'],
    description:
      'After the bootstrap and every scenario: a shard whose master and replicas all run on one Kubernetes node (one node failure takes its slots) fails the run (fail), is reported only (warn), or is not judged (off)',
  },
  'node-loss-mode': {
    key: 'nodeLossMode',
    kind: 'string',
    choices: ['restart', 'delete'],
    description:
      'Scenario node-loss: the lost node comes back with its pods (restart), or its Node object is deleted too and the StatefulSet recreates its pods on other nodes (delete)',
  },
  'fail-on-lint': {
    key: 'failOnLint',
    kind: 'string',
    choices: ['error', 'warning', 'never'],
    description: 'Lint severity that stops the run',
  },
  'kubernetes-version': {
    key: 'kubernetesVersion',
    kind: 'string',
    pattern: { test: /^v?\d+\.\d+(\.\d+)?$/, expected: 'a version such as 1.31 or v1.31.2' },
    description:
      "Kubernetes version to lint the manifests for (removed APIs); default: the kind node image's version (kind), the server's (existing), else 1.31",
  },
  'kind-version': { key: 'kindVersion', kind: 'string', description: 'kind release to install' },
  'node-image': { key: 'nodeImage', kind: 'string', description: "kind node image (default: the release's own)" },
  'load-images': {
    key: 'loadImages',
    kind: 'string',
    description:
      "Images built earlier in the job (in the runner's Docker) to load into every kind node before apply, separated by commas, spaces or new lines; e.g. a pull request's own Redis image",
  },
  'kind-config': {
    key: 'kindConfig',
    kind: 'string',
    description:
      'Your kind cluster config file; its nodes and settings are kept and every node also mounts the NFS stand-in',
  },
  'cluster-name': { key: 'clusterName', kind: 'string', description: 'kind cluster name' },
  workers: {
    key: 'workers',
    kind: 'int',
    min: 0,
    description:
      "Kubernetes nodes the pods are scheduled on: kind's worker nodes, or the local platform's emulated ones",
  },
  kubeconfig: { key: 'kubeconfig', kind: 'string', description: 'Kubeconfig file for platform existing' },
  'local-mode': {
    key: 'localMode',
    kind: 'string',
    choices: ['auto', 'sandbox', 'direct'],
    description:
      'Platform local: sandbox (each pod a bubblewrap sandbox running its own command, scripts and init containers), direct (redis-server run directly), auto (sandbox where bwrap works)',
  },
  'redis-password': {
    key: 'redisPassword',
    kind: 'string',
    description:
      'Redis password, when the manifests do not hold it (e.g. a Secret that exists only in the namespace); never printed',
  },
  'github-token': {
    key: 'githubToken',
    kind: 'string',
    description:
      'Token for the pull-request comment (e.g. secrets.GITHUB_TOKEN with pull-requests: write); never printed',
  },
  comment: {
    key: 'comment',
    kind: 'bool',
    description:
      "Post the report dir's pr-comment.md on the pull request (needs github-token), one comment per job updated on every push; a token that may not write (a fork) leaves it in the job summary",
  },
  'comment-key': {
    key: 'commentKey',
    kind: 'string',
    description: "Which comment is this job's (default: the job's id); give matrix jobs one each",
  },
  'redis-password-file': {
    key: 'redisPasswordFile',
    kind: 'string',
    description:
      'A file holding the Redis password (one trailing newline is dropped), instead of redis-password: the password is then in no command line',
  },
  namespace: { key: 'namespace', kind: 'string', description: 'Namespace to deploy into (default: a new one per run)' },
  'keep-cluster': { key: 'keepCluster', kind: 'bool', description: 'Keep the kind cluster after the run' },
  'nfs-stand-in': {
    key: 'nfsStandIn',
    kind: 'bool',
    description: 'Rewrite nfs PersistentVolumes to hostPath under a directory mounted into every kind node',
  },
  'work-dir': {
    key: 'workDir',
    kind: 'string',
    description:
      "Directory for the runs' own state and undo journals (default: under RUNNER_TEMP, else a private per-user directory in the temp dir); a later run or cleanup with the same work-dir finishes what a killed run left",
  },
  'address-base': {
    key: 'addressBase',
    kind: 'string',
    pattern: {
      test: /^127\.(?!0\.0$)(25[0-5]|2[0-4]\d|1?\d?\d)\.(25[0-5]|2[0-4]\d|1?\d?\d)$/,
      expected: 'a loopback /24 such as 127.0.50 (not 127.0.0, where 127.0.0.1 is)',
    },
    description:
      'Local platform: the loopback /24 to take pod addresses from first (127.0.50); each address is claimed for the run, so concurrent runs never share one',
  },
};

export const DEFAULTS: Omit<Config, 'command' | 'manifests'> = {
  platform: 'auto',
  reportDir: 'redis-resilience-report',
  values: [],
  set: [],
  release: 'redis-resilience',
  scenario: ['master-failover'],
  holdRestart: true,
  holdMode: 'quota',
  killMode: 'graceful',
  bootstrap: 'auto',
  writeRate: 200,
  writeWait: false,
  maxLostWrites: 0,
  rolloutTimeoutMs: 300_000,
  rejoinTimeoutMs: 120_000,
  failOnLint: 'error',
  placement: 'fail',
  nodeLossMode: 'restart',
  kindVersion: 'v0.32.0',
  clusterName: 'redis-resilience',
  workers: 3,
  keepCluster: false,
  comment: false,
  nfsStandIn: true,
  localMode: 'auto',
};

const INTEGER = /^\d+$/;

function parseValue(name: string, spec: OptionSpec, raw: string, origin: string): Config[keyof Config] {
  const value = raw.trim();
  const bad = (valid: string) => new InputError(`${origin} ${name}: "${raw}" is not valid; expected ${valid}`);
  switch (spec.kind) {
    case 'string':
      if (value === '') throw bad('a non-empty value');
      if (spec.choices && !spec.choices.includes(value)) throw bad(`one of ${spec.choices.join(', ')}`);
      if (spec.pattern && !spec.pattern.test.test(value)) throw bad(spec.pattern.expected);
      return value;
    case 'lines':
      return value
        .split('\n')
        .map((v) => v.trim())
        .filter((v) => v !== '');
    case 'list': {
      const items = value.split(',').map((v) => v.trim());
      if (items.some((v) => v === '')) throw bad(`a comma-separated list of ${spec.choices?.join(', ') ?? 'values'}`);
      const unknown = items.filter((v) => spec.choices && !spec.choices.includes(v));
      if (unknown.length)
        throw bad(`a comma-separated list of ${spec.choices?.join(', ') ?? 'values'} (unknown: ${unknown.join(', ')})`);
      const twice = items.filter((v, i) => items.indexOf(v) !== i);
      if (twice.length) throw bad(`each scenario at most once (${[...new Set(twice)].join(', ')} twice)`);
      return items;
    }
    case 'bool':
      if (value === 'true') return true;
      if (value === 'false') return false;
      throw bad('true or false');
    case 'percent': {
      const m = /^(\d+(?:\.\d+)?)\s*%?$/.exec(value);
      if (!m) throw bad('a percentage such as 20%');
      return Number(m[1]);
    }
    case 'int':
    case 'ms': {
      // Durations may be written as 90s or 2m for convenience; plain numbers are milliseconds.
      const unit = spec.kind === 'ms' ? /^(\d+)(ms|s|m)?$/.exec(value) : INTEGER.test(value) ? [value, value] : null;
      if (!unit) throw bad(spec.kind === 'ms' ? 'a duration such as 5000, 90s or 2m' : 'a whole number');
      const n = Number(unit[1]) * (unit[2] === 's' ? 1000 : unit[2] === 'm' ? 60_000 : 1);
      if (spec.max && n > spec.max.value) throw bad(`a whole number of at most ${spec.max.value} (${spec.max.why})`);
      if (!Number.isSafeInteger(n) || n < (spec.min ?? 0)) {
        throw bad(
          spec.kind === 'ms'
            ? `a duration of at least ${spec.min ?? 0} ms`
            : `a whole number of at least ${spec.min ?? 0}`,
        );
      }
      return n;
    }
  }
}

/** The error for an option name that is not in OPTIONS, listing the valid ones. */
export function unknownOption(name: string, origin: 'input' | 'flag'): InputError {
  const prefix = origin === 'flag' ? '--' : '';
  return new InputError(
    `unknown ${origin} ${prefix}${name}; valid: ${Object.keys(OPTIONS)
      .map((o) => prefix + o)
      .join(', ')}`,
  );
}

/**
 * Builds a Config from named raw values (action inputs or CLI flags, without the dashes). Empty values mean
 * "not set" for action inputs. `origin` is how the user wrote them: "input" or "flag --".
 */
export function parseConfig(
  command: Config['command'],
  raw: Record<string, string | undefined>,
  origin: 'input' | 'flag',
  defaultManifests: string,
): Config {
  const config: Config = { command, manifests: defaultManifests, ...DEFAULTS };
  const prefix = origin === 'flag' ? '--' : '';
  for (const [name, value] of Object.entries(raw)) {
    const spec = OPTIONS[name];
    if (!spec) throw unknownOption(name, origin);
    if (value === undefined || (origin === 'input' && value.trim() === '')) continue;
    (config as unknown as Record<string, unknown>)[spec.key] = parseValue(prefix + name, spec, value, origin);
  }
  if (config.githubToken) registerSecret(config.githubToken);
  // One source of manifests, and chart settings only with a chart: neither is silently ignored.
  const given = (name: string) => raw[name] !== undefined && (origin === 'flag' || raw[name].trim() !== '');
  const renderFrom = config.chart !== undefined ? 'chart' : config.kustomize !== undefined ? 'kustomize' : undefined;
  if (given('manifests') && renderFrom)
    throw new InputError(
      `${origin} ${prefix}manifests and ${prefix}${renderFrom} are two ways to give the manifests: give one of them`,
    );
  if ((config.values.length > 0 || config.set.length > 0) && config.chart === undefined)
    throw new InputError(
      `${origin} ${prefix}values and ${prefix}set are for a Helm chart: give ${prefix}chart too (or leave them out)`,
    );
  resolveRedisPassword(config, origin, prefix);
  if (config.platform === 'existing' && !config.kubeconfig && !process.env.KUBECONFIG) {
    throw new InputError(
      `${origin} ${prefix}platform existing needs ${origin} ${prefix}kubeconfig (or KUBECONFIG set)`,
    );
  }
  return config;
}

/** A password file is a few bytes; anything near this is not one. */
const MAX_PASSWORD_FILE_BYTES = 64 * 1024;

/**
 * The Redis password from where it may come besides redis-password (visible in `ps` as a CLI flag):
 * redis-password-file, or for the CLI the REDIS_PASSWORD environment variable (the action's inputs reach it
 * through the runner, never a command line). At most one of the flag and the file.
 */
function resolveRedisPassword(config: Config, origin: 'input' | 'flag', prefix: string): void {
  const file = config.redisPasswordFile;
  if (file !== undefined) {
    if (config.redisPassword !== undefined)
      throw new InputError(`${origin} ${prefix}redis-password and ${prefix}redis-password-file are both set; set one`);
    const name = `${origin} ${prefix}redis-password-file ${file}`;
    let text: string;
    try {
      text = readInputTextSync(file, name, MAX_PASSWORD_FILE_BYTES, 'a password file holds one password');
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`${name}: cannot be read (${messageOf(err)})`);
    }
    const password = text.replace(/\r?\n$/, '');
    if (password === '') throw new InputError(`${name}: the file is empty; expected the password`);
    config.redisPassword = password;
  } else if (origin === 'flag' && config.redisPassword === undefined && process.env.REDIS_PASSWORD) {
    config.redisPassword = process.env.REDIS_PASSWORD;
  }
}

/** Config as recorded in report.json: everything but the kubeconfig path and the password. */
export function publicConfig(config: Config): Record<string, unknown> {
  const { kubeconfig, redisPassword, githubToken, ...rest } = config;
  return {
    ...rest,
    kubeconfig: kubeconfig ? '(set)' : undefined,
    redisPassword: redisPassword ? '(set)' : undefined,
    githubToken: githubToken ? '(set)' : undefined,
  };
}
