import type { ServerOptions } from 'socket.io';
import { Adapter, type BroadcastOptions, type Session } from 'socket.io-adapter';
import { SocketError } from './errors';
import { observeEncodedSize } from './socketio-internals';

/**
 * What connection state recovery may hold per server, across all its namespaces: the packets
 * kept for clients that come back, their encoded bytes, and the sessions of disconnected clients.
 * Past a limit the oldest go first. A client whose missed packets went is not restored: it gets
 * CONNECT, as a client that came back after the window does.
 *
 * @example
 * ```ts
 * const limits: RecoveryLimits = { maxPackets: 50_000, maxBytes: 64 * 1024 * 1024, maxSessions: 20_000 };
 * new SocketServer({ recoveryLimits: limits });
 * ```
 */
export interface RecoveryLimits {
  /** Packets kept (every broadcast and every `socket.emit` without ack counts one). */
  readonly maxPackets: number;
  /** Bytes of those packets as sent (socket.io's encoding; binary attachments included). */
  readonly maxBytes: number;
  /** Sessions of disconnected clients kept. */
  readonly maxSessions: number;
}

/**
 * The limits a {@link SocketServer} puts on connection state recovery unless told otherwise:
 * 10,000 packets, 16 MiB of packets, 10,000 sessions. Measured (recovery.test.ts), a kept packet
 * costs ~0.9 KB of heap besides its payload (its arguments array, its rooms, the entry), and a
 * string payload about its encoded size: the packets stay under ~25 MB of heap (16 MiB of
 * payload + 10,000 × 0.9 KB), the sessions add ~0.5 KB each plus their `socket.data`.
 * 10,000 packets cover the two-minute window of a service sending 80 events a second
 * (broadcasts and `socket.emit`s together); past that, the oldest go and the clients that missed
 * them get CONNECT instead of RECONNECT.
 *
 * @example
 * ```ts
 * new SocketServer({ recoveryLimits: { ...DEFAULT_RECOVERY_LIMITS, maxPackets: 50_000 } });
 * ```
 */
export const DEFAULT_RECOVERY_LIMITS: Readonly<RecoveryLimits> = Object.freeze({
  maxPackets: 10_000,
  maxBytes: 16 * 1024 * 1024,
  maxSessions: 10_000,
});

type SessionToPersist = Parameters<Adapter['persistSession']>[0];

interface StoredPacket {
  readonly id: string;
  readonly seq: number;
  readonly owner: Adapter;
  readonly opts: BroadcastOptions;
  readonly data: unknown[];
  readonly emittedAt: number;
  bytes: number;
}

interface StoredSession extends SessionToPersist {
  readonly owner: Adapter;
  readonly disconnectedAt: number;
}

/** The packets and sessions recovery keeps for one server, oldest first, within its limits. */
class RecoveryLog {
  readonly #limits: RecoveryLimits;
  readonly #window: number;
  // A queue: live packets are #packets[#head..]; #packets[i] has seq #firstSeq + i.
  #packets: Array<StoredPacket | undefined> = [];
  #head = 0;
  #firstSeq = 0;
  #nextSeq = 0;
  #bytes = 0;
  readonly #byId = new Map<string, StoredPacket>();
  readonly #sessions = new Map<string, StoredSession>();
  // Offsets of another server (a restarted process) never match this one's.
  readonly #prefix = `${Math.random().toString(36).slice(2, 8)}-`;
  #users = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(limits: RecoveryLimits, window: number) {
    this.#limits = limits;
    this.#window = window;
  }

  /** An adapter starts using the log: expire what outlived the window even when nothing is sent. */
  open(): void {
    if (this.#users++ === 0) {
      this.#timer = setInterval(() => this.#evict(Date.now()), Math.min(this.#window, 60_000));
      this.#timer.unref();
    }
  }

  close(): void {
    if (--this.#users === 0) clearInterval(this.#timer);
  }

  append(owner: Adapter, opts: BroadcastOptions, data: unknown[]): StoredPacket {
    const seq = this.#nextSeq++;
    const entry: StoredPacket = {
      id: this.#prefix + seq.toString(36),
      seq,
      owner,
      opts,
      data,
      emittedAt: Date.now(),
      bytes: 0,
    };
    this.#packets.push(entry);
    this.#byId.set(entry.id, entry);
    return entry;
  }

  /** Records the size of the packet just appended and evicts what the limits no longer allow. */
  sized(entry: StoredPacket, bytes: number): void {
    entry.bytes = bytes;
    this.#bytes += bytes;
    this.#evict(entry.emittedAt);
  }

  /** Takes back the packet just appended (socket.io could not send it). */
  discard(entry: StoredPacket): void {
    if (this.#packets[this.#packets.length - 1] !== entry) return;
    this.#packets.pop();
    this.#byId.delete(entry.id);
    this.#bytes -= entry.bytes;
  }

  persist(owner: Adapter, session: SessionToPersist): void {
    const now = Date.now();
    // Re-inserted, so that the Map's order stays the order of disconnection.
    this.#sessions.delete(session.pid);
    this.#sessions.set(session.pid, { ...session, owner, disconnectedAt: now });
    this.#evict(now);
  }

  restore(owner: Adapter, pid: string, offset: string): Session | null {
    const session = this.#sessions.get(pid);
    if (!session || session.owner !== owner) return null;
    // A session id is a bearer token: it restores one socket, once.
    this.#sessions.delete(pid);
    if (session.disconnectedAt + this.#window < Date.now()) return null;
    const from = this.#byId.get(offset);
    // The client's last packet was evicted: what it missed is no longer all here.
    if (!from || from.owner !== owner) return null;
    const missedPackets: unknown[][] = [];
    const packets = this.#packets;
    for (let i = from.seq - this.#firstSeq + 1; i < packets.length; i++) {
      const packet = packets[i] as StoredPacket;
      if (packet.owner === owner && reaches(session.rooms, packet.opts)) missedPackets.push(packet.data);
    }
    return { sid: session.sid, pid: session.pid, rooms: session.rooms, data: session.data, missedPackets };
  }

  #evict(now: number): void {
    const { maxPackets, maxBytes, maxSessions } = this.#limits;
    const threshold = now - this.#window;
    const packets = this.#packets;
    while (this.#head < packets.length) {
      const oldest = packets[this.#head] as StoredPacket;
      const count = packets.length - this.#head;
      if (count <= maxPackets && this.#bytes <= maxBytes && oldest.emittedAt >= threshold) break;
      packets[this.#head++] = undefined;
      this.#byId.delete(oldest.id);
      this.#bytes -= oldest.bytes;
    }
    // Compact once the dead prefix is half of the array: amortised O(1) per packet.
    if (this.#head > 1024 && this.#head * 2 > packets.length) {
      this.#packets = packets.slice(this.#head);
      this.#firstSeq += this.#head;
      this.#head = 0;
    } else if (this.#head === packets.length && this.#head > 0) {
      this.#packets = [];
      this.#firstSeq += this.#head;
      this.#head = 0;
    }
    for (const [pid, session] of this.#sessions) {
      if (this.#sessions.size <= maxSessions && session.disconnectedAt >= threshold) break;
      this.#sessions.delete(pid);
    }
  }
}

// socket.io-adapter's rule: a packet reaches a session when it went to everyone or to one of the
// session's rooms, and excluded none of them.
function reaches(rooms: readonly string[], opts: BroadcastOptions): boolean {
  const included = opts.rooms.size === 0 || rooms.some((room) => opts.rooms.has(room));
  return included && (opts.except === undefined || rooms.every((room) => !opts.except?.has(room)));
}

function resolveRecoveryLimits(limits: Partial<RecoveryLimits> | null | undefined): RecoveryLimits {
  const merged = { ...DEFAULT_RECOVERY_LIMITS, ...limits };
  for (const key of ['maxPackets', 'maxBytes', 'maxSessions'] as const) {
    const value = merged[key];
    if (!(typeof value === 'number' && value >= 0)) {
      throw new SocketError(
        'ERR_INVALID_OPTION',
        `recoveryLimits.${key} must be a number >= 0, got ${JSON.stringify(value)}`,
      );
    }
  }
  return merged;
}

function estimateBytes(data: unknown[]): number {
  try {
    return JSON.stringify(data)?.length ?? 0;
  } catch {
    return 0;
  }
}

/**
 * A socket.io adapter for one server: socket.io's in-memory adapter with connection state
 * recovery held within {@link RecoveryLimits} ({@link DEFAULT_RECOVERY_LIMITS} for the fields not
 * given), shared by all namespaces of the server. {@link SocketServer} uses it whenever recovery
 * is on and no `adapter` is given; pass it yourself to a socket.io server of your own. Use one per
 * server. With recovery off it is socket.io's plain in-memory adapter.
 *
 * Like socket.io's own, it appends the recovery offset to every event it keeps (every broadcast
 * and `socket.emit` without ack or `volatile`): client listeners receive it as one more argument.
 *
 * @throws {@link SocketError} `ERR_INVALID_OPTION` for a limit that is not a number >= 0.
 * @example
 * ```ts
 * import { Server } from 'socket.io';
 * const io = new Server(httpServer, {
 *   connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
 *   adapter: boundedRecoveryAdapter({ maxPackets: 5_000 }),
 * });
 * bindHandlers(io, [new Chat()]);
 * ```
 */
export function boundedRecoveryAdapter(
  limits?: Partial<RecoveryLimits> | null,
): NonNullable<ServerOptions['adapter']> {
  const resolved = resolveRecoveryLimits(limits);
  // One log per server, shared by its namespaces; it goes with the server.
  const logs = new WeakMap<object, RecoveryLog>();

  return class BoundedRecoveryAdapter extends Adapter {
    readonly #log: RecoveryLog | undefined;
    #encodedBytes = -1;

    constructor(nsp: any) {
      super(nsp);
      const server = nsp.server;
      const recovery = server.opts?.connectionStateRecovery as
        | { maxDisconnectionDuration?: number }
        | undefined;
      if (!recovery) return;
      let log = logs.get(server);
      if (!log) {
        log = new RecoveryLog(resolved, recovery.maxDisconnectionDuration ?? 2 * 60 * 1000);
        logs.set(server, log);
      }
      log.open();
      this.#log = log;
      observeEncodedSize(this, (bytes) => {
        this.#encodedBytes = bytes;
      });
    }

    override close(): void {
      this.#log?.close();
      super.close();
    }

    override persistSession(session: SessionToPersist): void {
      this.#log?.persist(this, session);
    }

    override restoreSession(pid: string, offset: string): Promise<Session> {
      return Promise.resolve(this.#log?.restore(this, pid, offset) ?? null) as Promise<Session>;
    }

    override broadcast(packet: any, opts: BroadcastOptions): void {
      const log = this.#log;
      // socket.io's rule: events without ack (an ack cannot be restored elsewhere) and not volatile.
      if (!log || packet.type !== 2 || packet.id !== undefined || opts.flags?.volatile !== undefined) {
        super.broadcast(packet, opts);
        return;
      }
      const entry = log.append(this, opts, packet.data);
      // The offset travels as the event's last argument: the client sends it back to recover.
      packet.data.push(entry.id);
      this.#encodedBytes = -1;
      try {
        super.broadcast(packet, opts);
      } catch (err) {
        log.discard(entry);
        throw err;
      }
      log.sized(entry, this.#encodedBytes >= 0 ? this.#encodedBytes : estimateBytes(packet.data));
    }
  };
}
