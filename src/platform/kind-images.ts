import { isObject } from '../manifests/object-path.ts';
import type { JsonValue, ManifestSet } from '../manifests/model.ts';
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

/** Every container and init container image the manifests name (pod templates and bare pods), once each. */
export function manifestImages(set: ManifestSet): string[] {
  const images = new Set<string>();
  const fromPodSpec = (spec: JsonValue | undefined) => {
    if (!isObject(spec)) return;
    for (const list of [spec.initContainers, spec.containers]) {
      for (const c of Array.isArray(list) ? list : [])
        if (isObject(c) && typeof c.image === 'string' && c.image) images.add(c.image);
    }
  };
  for (const obj of set.objects) {
    const spec = obj.body.spec;
    if (obj.kind === 'Pod') fromPodSpec(spec);
    else if (isObject(spec) && isObject(spec.template)) fromPodSpec(spec.template.spec);
  }
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

/**
 * `kind load docker-image` of images from the runner's Docker into every node of the cluster (images built
 * earlier in the job, e.g. a pull request's own Redis image, and the pulled manifest images). A load that fails
 * is an error naming the images: the pods would otherwise run something else than the job built.
 */
export async function loadImages(
  kind: string,
  cluster: string,
  images: string[],
  log: Log,
  run: Runner = runCommand,
): Promise<void> {
  if (images.length === 0) return;
  const r = await run(kind, ['load', 'docker-image', ...images, '--name', cluster]);
  if (r.code !== 0) {
    throw new Error(
      `kind load docker-image ${images.join(' ')} --name ${cluster} failed (exit code ${r.code}): ` +
        `${r.stderr.trim().split('\n').slice(-3).join(' | ')}; an image of load-images must exist in the runner's Docker (docker images lists them)`,
    );
  }
  log.info(`loaded into every kind node: ${images.join(', ')}`);
}
