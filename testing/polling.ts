// A raw engine.io v4 polling client, for requests socket.io-client would never make (one POST
// carrying tens of thousands of events).
import { waitFor } from './index';

const SEPARATOR = '\x1e';

export interface PollingSession {
  readonly sid: string;
  /** Every socket.io packet received so far (engine.io's `4` prefix removed), in order. */
  readonly packets: string[];
  /**
   * POSTs engine.io packets (already prefixed), joined as one payload, or a payload already
   * joined; resolves with the status.
   */
  post(packets: string[] | string): Promise<number>;
  /** Polls until `done` says so or the session ends; returns the packets received. */
  pollUntil(done: (packets: string[]) => boolean, timeout?: number): Promise<string[]>;
  /** Whether the server closed the session (a poll answered 400, or engine.io's close packet). */
  readonly closed: boolean;
}

/** Opens a polling session and connects it to the main namespace with `auth`. */
export async function pollingSession(url: string, auth: unknown = {}): Promise<PollingSession> {
  const base = `${url}/socket.io/?EIO=4&transport=polling`;
  const open = await (await fetch(base)).text();
  const sid = (JSON.parse(open.slice(1)) as { sid: string }).sid;
  const packets: string[] = [];
  let closed = false;
  const poll = async () => {
    const res = await fetch(`${base}&sid=${sid}`);
    const body = await res.text();
    if (res.status !== 200) {
      closed = true;
      return;
    }
    for (const part of body.split(SEPARATOR)) {
      if (part.startsWith('4')) packets.push(part.slice(1));
      else if (part === '1') closed = true;
      else if (part === '2') await post(['3']);
    }
  };
  const post = async (parts: string[] | string) => {
    const body = typeof parts === 'string' ? parts : parts.join(SEPARATOR);
    const res = await fetch(`${base}&sid=${sid}`, { method: 'POST', body });
    await res.arrayBuffer();
    return res.status;
  };
  await post([`40${JSON.stringify(auth)}`]);
  await poll();
  return {
    sid,
    packets,
    post,
    get closed() {
      return closed;
    },
    async pollUntil(done, timeout = 20_000) {
      await waitFor(
        'polled packets',
        async () => {
          if (done(packets) || closed) return true;
          await poll();
          return done(packets) || closed;
        },
        { timeout, interval: 0 },
      );
      return packets;
    },
  };
}
