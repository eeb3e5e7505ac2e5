import fs from 'node:fs';
import path from 'node:path';
import { podHostsText, type DnsPod } from './pod-dns.ts';
import { podInfo } from './pod-table.ts';
import { rewriteInPlace } from './sandbox.ts';
import type { LocalState } from './state.ts';

/** The pods as the cluster DNS lists them: address and readiness. */
export const dnsPods = (s: LocalState): DnsPod[] =>
  s.pods.all().map((p) => ({ name: p.name, ip: p.ip, ready: podInfo(p).ready }));

/**
 * Every pod's /etc/hosts, rewritten in place: the headless Service's DNS records at the current addresses and
 * readiness (local/pod-dns.ts). Called whenever a pod's address or readiness changes.
 */
export function updateHosts(s: LocalState): void {
  if (s.mode !== 'sandbox' || !s.service) return;
  const svc = s.service;
  const dns = dnsPods(s);
  for (const p of s.pods.all()) {
    const file = path.join(p.layout.podDir, 'hosts');
    if (fs.existsSync(p.layout.podDir))
      rewriteInPlace(
        s.inside(file, `pod ${p.name}'s /etc/hosts`),
        podHostsText(
          dns.find((d) => d.name === p.name)!,
          dns,
          svc,
        ),
      );
  }
}
