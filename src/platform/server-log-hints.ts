/**
 * Failures a Redis or Valkey server names in its own log that we know the cause of: a pod that will not start
 * reports the log tail, and these turn its last words into what the user does next.
 */

// Redis 7.0 ends the line with "file."; Valkey 8 quotes the nodes.conf line it refused, newline included.
const CORRUPT_NODES_CONF = /Unrecoverable error: corrupted cluster config file(?: "([^"]*)")?/;
// A replica's line in nodes.conf: `<id> <addr>,...,shard-id=<id> [myself,]slave|replica <master id> ...`.
const REPLICA_WITH_SHARD_ID = /,shard-id=[0-9a-f]{40}\b.*?\s(?:\S*,)?(?:slave|replica)\s[0-9a-f]{40}\s/;

/** The known cause of a failure in this server log, as sentences for the user; '' when none is recognised. */
export function serverLogHint(log: string): string {
  const corrupt = CORRUPT_NODES_CONF.exec(log);
  if (!corrupt) return '';
  if (corrupt[1] !== undefined && REPLICA_WITH_SHARD_ID.test(corrupt[1])) {
    return (
      'likely cause: nodes.conf gives this replica another shard-id than its master. Valkey writes that when a ' +
      'node restarts before the shard ids settle after the cluster formed, then refuses to start ' +
      "(valkey-io/valkey#774 and #2171; valkey-io/valkey#2174 makes a node take its master's shard-id instead). " +
      "To recover the pod, set the shard-id of the quoted line to its master's in nodes.conf on the pod's volume."
    );
  }
  return (
    "cause: the node's nodes.conf on its volume cannot be read back; known ways there are a write cut short (a full " +
    'disk), a hand edit, or two pods sharing one volume. The server refuses to guess ' +
    'its cluster state and will not start until nodes.conf is restored; deleting it makes the pod a new, empty ' +
    'node with a new NodeID.'
  );
}
