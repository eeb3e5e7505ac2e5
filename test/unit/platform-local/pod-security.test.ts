import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../../src/errors.ts';
import {
  containerSecurity,
  DEFAULT_CAPS,
  refuseHostAccess,
  securityArgs,
  userPrefix,
} from '../../../src/platform/local/pod-security.ts';
import { containerEnv } from '../../../src/platform/local/expand.ts';
import { seccompFilter } from '../../../src/platform/local/seccomp.ts';
import { deploymentFrom } from './deployments.ts';

/** A StatefulSet whose pod template is `spec` (YAML, indented for the template's spec). */
const sts = (spec: string, extra = '') =>
  deploymentFrom(`${extra}
apiVersion: apps/v1
kind: StatefulSet
metadata: { name: r }
spec:
  serviceName: r
  replicas: 1
  selector: { matchLabels: { app: r } }
  template:
    metadata: { labels: { app: r } }
    spec:
${spec}`);

const REDIS = `
      containers:
        - name: redis
          image: redis:7.2.5
          command: [redis-server]`;

test('by default a container keeps containerd 2.x default capabilities, no user switch, a writable root', () => {
  const sec = containerSecurity(sts(REDIS).statefulSet, 'containers', 'redis');
  assert.equal(sec, { caps: DEFAULT_CAPS, readOnlyRoot: false });
  assert.equal(userPrefix(sec, '/usr/bin/setpriv'), []);
  const args = securityArgs(sec, 5);
  assert.equal(args.slice(0, 2), ['--cap-drop', 'ALL']);
  assert.ok(args.includes('CAP_NET_BIND_SERVICE') && !args.includes('CAP_NET_RAW') && !args.includes('CAP_MKNOD'));
  assert.equal(args.slice(-2), ['--seccomp', '5']);
});

test("securityContext: drop ALL then add, the pod's runAsUser under the container's runAsGroup, readOnlyRootFilesystem", () => {
  const d = sts(`
      securityContext: { runAsUser: 1000, runAsGroup: 5 }${REDIS}
          securityContext:
            runAsGroup: 999
            readOnlyRootFilesystem: true
            capabilities: { drop: [ALL], add: [CAP_chown, IPC_LOCK] }`);
  const sec = containerSecurity(d.statefulSet, 'containers', 'redis');
  assert.equal(sec, { caps: ['CHOWN', 'IPC_LOCK'], user: { uid: 1000, gid: 999 }, readOnlyRoot: true });
  // The sandbox keeps what setpriv needs to switch; setpriv leaves the container only its own.
  assert.ok(securityArgs(sec, undefined).includes('CAP_SETUID'));
  assert.equal(userPrefix(sec, '/usr/bin/setpriv'), [
    '/usr/bin/setpriv',
    '--reuid=1000',
    '--regid=999',
    '--clear-groups',
    '--bounding-set=-all,+chown,+ipc_lock',
    '--',
  ]);
  assert.throws(() => userPrefix(sec, undefined), /setpriv/);
});

test('privileged, host namespaces and host-reaching capabilities are refused at their line', () => {
  const refused = (spec: string): string => {
    try {
      refuseHostAccess(sts(spec).statefulSet);
    } catch (err) {
      assert.instance(err, InputError);
      return (err as Error).message;
    }
    return 'not refused';
  };
  assert.match(refused(`      hostNetwork: true${REDIS}`), /^inline\.yaml:\d+: hostNetwork: true gives the pod/);
  assert.match(refused(`      hostIPC: true${REDIS}`), /hostIPC: true/);
  assert.match(refused(`${REDIS}\n          securityContext: { privileged: true }`), /container redis is privileged/);
  assert.match(
    refused(`${REDIS}\n          securityContext: { capabilities: { add: [SYS_ADMIN] } }`),
    /adds capability SYS_ADMIN/,
  );
  assert.is(
    refused(`      hostNetwork: false${REDIS}\n          securityContext: { privileged: false }`),
    'not refused',
  );
});

test('envFrom as the kubelet: sources first (prefix, invalid names skipped), env overrides; optional references to what is missing set nothing', () => {
  const d = sts(
    `${REDIS}
          envFrom:
            - configMapRef: { name: cm }
              prefix: P_
            - secretRef: { name: sec }
            - secretRef: { name: gone, optional: true }
          env:
            - { name: P_A, value: from-env }
            - { name: MAYBE, valueFrom: { secretKeyRef: { name: gone, key: k, optional: true } } }
            - { name: MAYBE_KEY, valueFrom: { configMapKeyRef: { name: cm, key: nope, optional: true } } }`,
    `apiVersion: v1
kind: ConfigMap
metadata: { name: cm }
data: { A: a, B: b }
---
apiVersion: v1
kind: Secret
metadata: { name: sec }
stringData: { S: s, 9bad: x }
---`,
  );
  const env = containerEnv(
    d.container.env,
    { name: 'r-0', namespace: 'default', uid: 'u', ip: '127.0.0.2', labels: {} },
    () => {},
  );
  assert.equal(Object.fromEntries(env), { P_A: 'from-env', P_B: 'b', S: 's' });
  assert.ok(d.container.env.find((e) => e.name === 'S')?.from?.secret);
});

test('a required envFrom source that is missing stops the container, naming it and where', () => {
  const d = sts(`${REDIS}
          envFrom:
            - configMapRef: { name: absent }`);
  assert.throws(
    () => containerEnv(d.container.env, { name: 'r-0', namespace: 'd', uid: 'u', ip: 'i', labels: {} }, () => {}),
    /every key of ConfigMap absent \(envFrom\) \(inline\.yaml:\d+\), which is not among the manifests/,
  );
});

test('the seccomp filter is a whole sock_filter program for x86_64 and arm64, none elsewhere', () => {
  for (const arch of ['x64', 'arm64'] as const) {
    const f = seccompFilter(arch)!;
    assert.is(f.length % 8, 0);
    assert.is(f.readUInt16LE(f.length - 8), 0x06); // ends with a return
  }
  assert.is(seccompFilter('riscv64'), undefined);
});

test.run();
