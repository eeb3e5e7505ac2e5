import { isObject } from '../manifests/object-path.ts';
import type { JsonObject, ManifestSet } from '../manifests/model.ts';
import type { Log } from '../util/log.ts';
import { commandRunner, type Runner } from './run-command.ts';

/** One docker/kind command gets this long (a pull of a large image on a slow runner included). */
const COMMAND_TIMEOUT_MS = 600_000;
const runCommand = commandRunner(COMMAND_TIMEOUT_MS);

/** The load-images input: image references separated by commas, spaces or new lines. */
export function parseImageList(text: string | undefined): string[] {
  return [
    ...new Set(
      (text ?? '')
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

/** Every container and init container of the manifests' pod templates and bare pods. */
function* containersOf(set: ManifestSet): Generator<JsonObject> {
  for (const obj of set.objects) {
    const body = obj.body.spec;
    const spec = obj.kind === 'Pod' ? body : isObject(body) && isObject(body.template) ? body.template.spec : undefined;
    if (!isObject(spec)) continue;
    for (const list of [spec.initContainers, spec.containers])
      for (const c of Array.isArray(list) ? list : []) if (isObject(c)) yield c;
  }
}

/** Every container and init container image the manifests name (pod templates and bare pods), once each. */
export function manifestImages(set: ManifestSet): string[] {
  const images = new Set<string>();
  for (const c of containersOf(set)) if (typeof c.image === 'string' && c.image) images.add(c.image);
  return [...images];
}

/** Why a pull failed, in words that say what to do: Docker Hub's anonymous rate limit above all. */
export function pullFailure(image: string, stderr: string): string {
  const said = stderr.trim().split('\n').slice(-3).join(' | ');
  if (/toomanyrequests|rate limit/i.test(stderr)) {
    return (
      `docker pull ${image} hit the registry's rate limit (Docker Hub limits anonymous pulls per IP; shared runners share ` +
      `IPs): log in first (docker/login-action) or build/mirror the image and pass it in load-images. The registry said: ${said}`
    );
  }
  if (/not found|manifest unknown|pull access denied|repository does not exist/i.test(stderr)) {
    return `docker pull ${image}: no such image or no access (check the name and tag; a private image needs a docker login first). The registry said: ${said}`;
  }
  return `docker pull ${image} failed: ${said}`;
}

/**
 * The manifests' images, pulled once on the runner (skipped when the runner has them already): the kind nodes
 * then get them from `kind load` instead of each node pulling from Docker Hub on its own. A pull that fails is
 * said plainly and left to the nodes (the rollout diagnosis shows what they got); returns the images present.
 */
export async function pullImages(images: string[], log: Log, run: Runner = runCommand): Promise<string[]> {
  const present: string[] = [];
  for (const image of images) {
    if ((await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).code === 0) {
      present.push(image);
      continue;
    }
    log.info(`pulling ${image} on the runner (once, for every kind node)`);
    const pulled = await run('docker', ['pull', '--quiet', image]);
    if (pulled.code === 0) present.push(image);
    else log.warn(`${pullFailure(image, pulled.stderr)}; the kind nodes will try to pull it themselves`);
  }
  return present;
}

/** Docker's image store as `docker info` reports it: DriverStatus holds `driver-type io.containerd.snapshotter.v1`
 * under the containerd image store (the default of new Docker 29 installs), a graph driver's status otherwise. */
export async function dockerImageStore(run: Runner = runCommand): Promise<'containerd' | 'classic' | undefined> {
  const r = await run('docker', ['info', '--format', '{{.DriverStatus}}']);
  if (r.code !== 0) return undefined;
  return r.stdout.includes('io.containerd.snapshotter') ? 'containerd' : 'classic';
}

/**
 * The imagePullPolicy each image runs with in the manifests (as written; unset means the API server's default,
 * SetDefaults_Container: Always for `:latest` or neither tag nor digest, else IfNotPresent). An image whose
 * containers all say Never cannot be pulled by the nodes.
 */
export function pullPolicies(set: ManifestSet): Map<string, Set<string>> {
  const policies = new Map<string, Set<string>>();
  for (const c of containersOf(set)) {
    if (typeof c.image !== 'string' || !c.image) continue;
    const tag = /:([^/:@]+)$/.exec(c.image.replace(/@.*$/, ''))?.[1];
    // ParseImageName assumes "latest" only when neither a tag nor a digest is given (a digest alone: IfNotPresent).
    const latest = tag === 'latest' || (tag === undefined && !c.image.includes('@'));
    const policy = typeof c.imagePullPolicy === 'string' ? c.imagePullPolicy : latest ? 'Always' : 'IfNotPresent';
    policies.set(c.image, (policies.get(c.image) ?? new Set()).add(policy));
  }
  return policies;
}

const lastLines = (text: string) => text.trim().split('\n').slice(-3).join(' | ');

/**
 * The image store and, when the failure is the containerd image store's, the workaround. Under that store (the
 * default of new Docker 29 installs) `docker save`, which kind runs, writes a pulled image's whole multi-platform
 * index although only the runner's platform was pulled, and the node's `ctr images import --all-platforms` fails
 * on the first missing digest ("content digest sha256:...: not found"): kubernetes-sigs/kind#3795 (open), kind
 * PR #4247. Workarounds named there: turn the containerd image store off before images are pulled or built
 * (daemon.json `{"features": {"containerd-snapshotter": false}}`, then restart Docker), or save one platform and
 * load the archive (`docker save --platform linux/amd64 -o img.tar IMAGE`, `kind load image-archive img.tar`).
 */
export function loadFailureHint(store: 'containerd' | 'classic' | undefined, stderr: string): string {
  const containerd = store === 'containerd' || /content digest .*not found/i.test(stderr);
  const storeSaid =
    store === 'containerd'
      ? "the runner's Docker uses the containerd image store (docker info: io.containerd.snapshotter.v1)"
      : store === 'classic'
        ? "the runner's Docker uses the classic image store"
        : "the runner's Docker image store could not be read (docker info failed)";
  if (!containerd) return storeSaid;
  return (
    `${storeSaid}; kind load fails under the containerd image store (kubernetes-sigs/kind#3795, kind PR #4247): ` +
    'turn it off before the images are pulled or built (daemon.json {"features": {"containerd-snapshotter": false}}, then restart Docker), ' +
    'or load one platform from an archive (docker save --platform linux/amd64 -o img.tar IMAGE; kind load image-archive img.tar --name CLUSTER)'
  );
}

/**
 * `kind load docker-image` from the runner's Docker into every node of the cluster, in two calls:
 * - `built`: images built in the job (load-images). The nodes cannot get them any other way, so a failed load is
 *   an error naming the Docker image store and the workaround (see loadFailureHint).
 * - `pulled`: the manifests' images pulled on the runner, which the nodes can pull themselves: a failed load is a
 *   warning, the pods then run with their imagePullPolicy as written (each node pulls), and the returned note
 *   says so in the report. An image whose imagePullPolicy is Never cannot be pulled by a node: an error.
 */
export async function loadImages(
  kind: string,
  cluster: string,
  images: { built: string[]; pulled: string[]; policies?: Map<string, Set<string>> },
  log: Log,
  run: Runner = runCommand,
): Promise<string[]> {
  const load = async (list: string[]) => {
    const r = await run(kind, ['load', 'docker-image', ...list, '--name', cluster]);
    if (r.code === 0) log.info(`loaded into every kind node: ${list.join(', ')}`);
    return r;
  };
  const failed = (list: string[], r: { code: number; stderr: string }) =>
    `kind load docker-image ${list.join(' ')} --name ${cluster} failed (exit code ${r.code}): ${lastLines(r.stderr)}`;
  if (images.built.length) {
    const r = await load(images.built);
    if (r.code !== 0)
      throw new Error(
        `${failed(images.built, r)}; load-images are the job's own images, which no node can pull, so the run stops: ` +
          `${loadFailureHint(await dockerImageStore(run), r.stderr)}; each of load-images must exist in the runner's Docker (docker images lists them)`,
      );
  }
  if (images.pulled.length === 0) return [];
  const r = await load(images.pulled);
  if (r.code === 0) return [];
  const never = images.pulled.filter((i) => images.policies?.get(i)?.has('Never'));
  const hint = loadFailureHint(await dockerImageStore(run), r.stderr);
  if (never.length)
    throw new Error(
      `${failed(images.pulled, r)}; ${never.join(', ')} ha${never.length === 1 ? 's' : 've'} imagePullPolicy: Never, so no node will pull it: ${hint}`,
    );
  const policy = (i: string) => [...(images.policies?.get(i) ?? ['IfNotPresent'])].join('/');
  const note =
    `kind load of the manifests' images failed (${lastLines(r.stderr)}): each kind node pulls them itself, with the imagePullPolicy as written ` +
    `(${images.pulled.map((i) => `${i}: ${policy(i)}`).join(', ')}); ${hint}`;
  log.warn(note);
  return [note];
}
