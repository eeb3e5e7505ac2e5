import type { LintRule } from './rule.ts';
import { containerAt } from './redis-view.ts';

const ID = 'image-version';
/** Oldest Redis still maintained upstream when this was written; older ones get no security fixes. */
export const MIN_REDIS: [number, number] = [6, 2];

/** The tag of an image reference ('' when untagged); a digest pins it regardless. */
export function imageTag(image: string): { tag: string; digest: boolean } {
  const [ref, digest] = image.split('@');
  const last = ref!.split('/').pop()!;
  const i = last.lastIndexOf(':');
  return { tag: i >= 0 ? last.slice(i + 1) : '', digest: digest !== undefined };
}

export const imageVersion: LintRule = {
  id: ID,
  summary: `Redis image pinned to a version >= ${MIN_REDIS.join('.')}`,
  check({ redis }) {
    if (!redis) return [];
    const image = redis.container.image;
    const at = containerAt(redis, 'image');
    const { tag, digest } = imageTag(image);
    const version = /^(\d+)(?:\.(\d+))?/.exec(tag);
    if (version) {
      const [major, minor] = [Number(version[1]), Number(version[2] ?? 0)];
      if (major < MIN_REDIS[0] || (major === MIN_REDIS[0] && minor < MIN_REDIS[1])) {
        return [{ rule: ID, severity: 'error', message: `StatefulSet ${redis.name}: image ${image} is Redis ${major}.${minor}, older than ${MIN_REDIS.join('.')}`,
          fix: 'It is out of support (no security fixes) and lacks what a Kubernetes cluster needs: redis-cli ' +
            '--cluster replaced redis-trib in 5.0, cluster-announce-hostname and CLUSTER ADDSLOTSRANGE came in 7.0. ' +
            'Pin a supported release, e.g. redis:7.2.5.', at }];
      }
      return [];
    }
    if (digest) return [];
    return [{ rule: ID, severity: 'warning', message: `StatefulSet ${redis.name}: image ${image} is not pinned to a version${tag ? ` (tag ${tag})` : ''}`,
      fix: 'An unpinned tag moves: pods recreated after a failover can run a different Redis than their peers. ' +
        'Pin a version tag (redis:7.2.5) or a digest.', at }];
  },
};
