import net from 'node:net';

/**
 * Sends one PING over a fresh connection and returns the first reply line ('+PONG', '-LOADING …', …). A raw
 * socket keeps readiness probes free of client retry logic: one probe, one answer or one error.
 */
export function ping(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buf = '';
    const done = (err?: Error, line?: string): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve(line!);
    };
    socket.setTimeout(timeoutMs, () => done(new Error(`no answer to PING from ${host}:${port} within ${timeoutMs} ms`)));
    socket.once('error', (err) => done(err));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      const end = buf.indexOf('\r\n');
      if (end >= 0) done(undefined, buf.slice(0, end));
    });
    socket.once('end', () => done(new Error(`${host}:${port} closed the connection before answering PING`)));
  });
}

/** Whether a PING reply means the server is up and serving (an auth demand counts: it answers). */
export function pingReady(reply: string): boolean {
  return reply === '+PONG' || reply.startsWith('-NOAUTH');
}
