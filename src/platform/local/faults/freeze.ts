import type { FreezeFault } from '../../faults.ts';
import type { Supervised } from '../process.ts';

/**
 * SIGSTOP/SIGCONT to a pod's whole process group: the process keeps its sockets and state, it only stops
 * running, as a paused VM does. `processOf` gives the pod's current process (throws for an unknown pod).
 */
export function localFreeze(processOf: (pod: string) => Supervised | undefined): FreezeFault {
  const signal = (name: string, sig: 'SIGSTOP' | 'SIGCONT'): void => {
    const proc = processOf(name);
    if (!proc || proc.exit)
      throw new Error(
        `local platform: pod ${name} has no running process to ${sig === 'SIGSTOP' ? 'freeze' : 'resume'}`,
      );
    // The whole process group: in sandbox mode the child is bwrap, and Redis runs below it (stopping bwrap alone
    // froze nothing: the scenario then saw no failover and blamed Redis).
    process.kill(-proc.pid, sig);
  };
  return {
    freeze: async (name) => signal(name, 'SIGSTOP'),
    resume: async (name) => signal(name, 'SIGCONT'),
  };
}
