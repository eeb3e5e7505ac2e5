import net from 'node:net';

/** What a server said to `INFO server`: its first reply line, and its process_id when it gave its INFO. */
export interface ServerAnswer {
  /** '+…' or '-…' for a status or error reply (e.g. '-LOADING …', '-NOAUTH …'); '$<len>' for INFO text. */
  reply: string;
  pid?: number;
}

/**
 * Asks `INFO server` over a fresh connection. A raw socket keeps readiness probes free of client retry logic:
 * one probe, one answer or one error. INFO rather than PING because a PONG says only that some Redis answers on
 * the address; its process_id says whose it is.
 */
export function infoServer(host: string, port: number, timeoutMs: number): Promise<ServerAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const done = (err?: Error, answer?: ServerAnswer): void => {
      socket.destroy();
      if (err) reject(err);
      else resolve(answer!);
    };
    socket.setTimeout(timeoutMs, () =>
      done(new Error(`no answer to INFO from ${host}:${port} within ${timeoutMs} ms`)),
    );
    socket.once('error', (err) => done(err));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n');
      if (end < 0) return;
      const line = buf.subarray(0, end).toString('utf8');
      if (!line.startsWith('$')) {
        done(undefined, { reply: line });
        return;
      }
      // A bulk string: its length in bytes, then the INFO text.
      const len = Number(line.slice(1));
      if (buf.length < end + 2 + len) return;
      const text = buf.subarray(end + 2, end + 2 + len).toString('utf8');
      const pid = /^process_id:(\d+)\r?$/m.exec(text);
      done(undefined, { reply: line, ...(pid ? { pid: Number(pid[1]) } : {}) });
    });
    socket.once('end', () => done(new Error(`${host}:${port} closed the connection before answering INFO`)));
  });
}

/** Whether an answer means the server is up and serving: its INFO, or an auth demand (it answers, with a password). */
export function serving(answer: ServerAnswer): boolean {
  return answer.pid !== undefined || answer.reply.startsWith('-NOAUTH');
}

/** Whether anything accepts a connection on host:port (a refused or failed connect: nothing listens there). */
export function addressAnswers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (answers: boolean): void => {
      socket.destroy();
      resolve(answers);
    };
    socket.setTimeout(timeoutMs, () => done(true)); // a listener too busy to accept is still there
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
