import type { Socket as NetSocket } from 'node:net';

interface ReadingHandle {
  reading?: boolean;
  readStop?: () => number;
}

/**
 * Stops reading a connection now, and returns what the stream had buffered.
 *
 * The primary must read no byte after it decided to hand a connection over: a byte it reads
 * stays in this process, and the worker's parser never sees it (a body sent after
 * `Expect: 100-continue`, say). `socket.pause()` alone is not enough: it only stops the 'data'
 * events, and Node keeps reading into the stream's buffer until its high-water mark. This is
 * the one place that touches Node internals (`net.Socket#_handle.readStop()`, the TCP handle of
 * Node 20 to 24); without them, the returned bytes still cover what was buffered.
 */
export function stopReading(socket: NetSocket): Buffer[] {
  socket.pause();
  const handle = (socket as unknown as { _handle?: ReadingHandle | null })._handle;
  stop(handle);
  const buffered: Buffer[] = [];
  for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
    buffered.push(chunk);
  }
  // read() asks the handle for more once the buffer is empty: stop it again, in the same tick,
  // before the event loop could deliver anything.
  stop(handle);
  return buffered;
}

function stop(handle: ReadingHandle | null | undefined): void {
  if (!handle || typeof handle.readStop !== 'function') return;
  handle.reading = false;
  handle.readStop();
}
