import { SERVERS, serverOfImage } from '../server.ts';
import type { LintRule } from './rule.ts';
import { containerAt } from './redis-view.ts';

const ID = 'image-version';

/** The tag of an image reference ('' when untagged); a digest pins it regardless. */
export function imageTag(image: string): { tag: string; digest: boolean } {
  const [ref, digest] = image.split('@');
  const last = ref!.split('/').pop()!;
  const i = last.lastIndexOf(':');
  return { tag: i >= 0 ? last.slice(i + 1) : '', digest: digest !== undefined };
}

export const imageVersion: LintRule = {
  id: ID,
  summary: `Redis (>= ${SERVERS.redis.minVersion.join('.')}) or Valkey (>= ${SERVERS.valkey.minVersion.join('.')}) image pinned to a supported version`,
  check({ redis }) {
    if (!redis) return [];
    const image = redis.container.image;
    const at = containerAt(redis, 'image');
    const { tag, digest } = imageTag(image);
    const version = /^(\d+)(?:\.(\d+))?/.exec(tag);
    const example = redis.server.kind === 'valkey' ? 'valkey/valkey:8.0.1' : 'redis:7.2.5';
    // Only a server's own image says its version in the tag; another image's tag says nothing about it (nginx:1.27
    // is not "Redis 1.27"), and the program the container starts must be in that image.
    const imageServer = serverOfImage(image);
    if (!imageServer) {
      return [
        {
          rule: ID,
          severity: 'warning',
          message: `StatefulSet ${redis.name}: image ${image} is not a Redis or Valkey image, yet the container runs ${redis.server.program}`,
          fix:
            `Unless the image is built on one of them and ships ${redis.server.program}, the pod fails to start ` +
            `(executable not found); its tag does not say which ${redis.server.name} it has. Use the server's own image ` +
            `(${example}), or check that yours ships a supported version.`,
          at,
        },
      ];
    }
    if (version) {
      const { name, minVersion: min } = SERVERS[imageServer];
      const [major, minor] = [Number(version[1]), Number(version[2] ?? 0)];
      if (major < min[0] || (major === min[0] && minor < min[1])) {
        return [
          {
            rule: ID,
            severity: 'error',
            message: `StatefulSet ${redis.name}: image ${image} is ${name} ${major}.${minor}, older than ${min.join('.')}`,
            fix:
              'It is out of support (no security fixes) and lacks what a Kubernetes cluster needs: redis-cli ' +
              '--cluster replaced redis-trib in 5.0, cluster-announce-hostname and CLUSTER ADDSLOTSRANGE came in 7.0. ' +
              `Pin a supported release, e.g. ${example}.`,
            at,
          },
        ];
      }
      return [];
    }
    if (digest) return [];
    return [
      {
        rule: ID,
        severity: 'warning',
        message: `StatefulSet ${redis.name}: image ${image} is not pinned to a version${tag ? ` (tag ${tag})` : ''}`,
        fix:
          `An unpinned tag moves: pods recreated after a failover can run a different ${redis.server.name} than their peers. ` +
          `Pin a version tag (${example}) or a digest.`,
        at,
      },
    ];
  },
};
