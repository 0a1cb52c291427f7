import type { ServerOptions } from 'socket.io';
import { Adapter, type BroadcastOptions, type Session } from 'socket.io-adapter';
import { SocketError } from './errors';
import {
  observeApplyRecipients,
  observeEncodedSize,
  restoreSessionsWithoutOffset,
} from './socketio-internals';

/**
 * What connection state recovery may hold per server, across all its namespaces: the packets
 * kept for clients that come back, their encoded bytes, and the sessions of disconnected clients.
 * Past a limit the oldest go first. A client whose missed packets went is not restored: it gets
 * CONNECT, as a client that came back after the window does.
 *
 * @example
 * ```ts
 * const limits: RecoveryLimits = { maxPackets: 50_000, maxBytes: 64 * 1024 * 1024, maxSessions: 20_000, maxSessionBytes: 32 * 1024 * 1024 };
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
  /**
   * Estimated heap of those sessions: each counts 512 bytes plus, per room it was in, 64 bytes
   * and 2 bytes per character of the room's name (`socket.data`
   * is not counted: it is the application's). A client that joined thousands of rooms makes its
   * session cost that much, and the oldest sessions go first to stay within it.
   */
  readonly maxSessionBytes: number;
}

/** What a kept session is counted for against `maxSessionBytes`, before its rooms (measured ~0.5 KB). */
const SESSION_BASE_BYTES = 512;
/** What each room of a kept session is counted for, besides 2 bytes per character of its name (measured ~46 B). */
const SESSION_ROOM_BYTES = 64;

/**
 * The limits a {@link SocketServer} puts on connection state recovery unless told otherwise:
 * 10,000 packets, 16 MiB of packets, 10,000 sessions, 16 MiB of sessions (estimated from their
 * rooms: a session of a client in 2,000 rooms counts ~150 KB). Measured (recovery.test.ts), a kept packet
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
  maxSessionBytes: 16 * 1024 * 1024,
});

type SessionToPersist = Parameters<Adapter['persistSession']>[0];

interface StoredPacket {
  readonly id: string;
  readonly seq: number;
  readonly owner: Adapter;
  readonly opts: BroadcastOptions;
  /** The event's arguments; emptied when discarded, so that nothing uncounted is held. */
  data: unknown[];
  readonly emittedAt: number;
  bytes: number;
  /** socket.io could not send it: kept for its place in the sequence, never replayed. */
  discarded: boolean;
}

interface StoredSession extends SessionToPersist {
  /** What it counts for against `maxSessionBytes`. */
  readonly bytes: number;
  readonly owner: Adapter;
  readonly disconnectedAt: number;
  /**
   * The seq from which a client that received no event of this session missed what reached its
   * rooms: the first kept packet addressed to the socket, or, when none was, the next seq at its
   * disconnection. Undefined when the adapter could not tell (then such a client gets CONNECT).
   */
  readonly missedFrom: number | undefined;
}

/** A restored session, and the seq of the first packet replayed to it (undefined when none). */
interface Restored {
  readonly session: Session;
  readonly firstReplayedSeq: number | undefined;
}

/**
 * The offset the namespace passes to `restoreSession` for a client that sent its session id and
 * no offset, i.e. received no event carrying one since it connected (socketio-internals.ts).
 */
const NO_EVENT_RECEIVED = '\u0000no-event-received';

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
  #sessionBytes = 0;
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

  /** The seq the next packet will get. */
  get nextSeq(): number {
    return this.#nextSeq;
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
      discarded: false,
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

  /**
   * Takes back the packet just appended (socket.io could not send it). It keeps its seq, so that
   * seqs stay positions in the queue and no later packet reuses its offset, but not its payload:
   * it was never sized, so it would be held outside `maxBytes`.
   */
  discard(entry: StoredPacket): void {
    entry.discarded = true;
    entry.data = [];
  }

  persist(owner: Adapter, session: SessionToPersist, missedFrom: number | undefined): void {
    const now = Date.now();
    // Re-inserted, so that the Map's order stays the order of disconnection.
    this.#forget(session.pid);
    const bytes = sessionBytes(session.rooms);
    this.#sessions.set(session.pid, { ...session, owner, disconnectedAt: now, missedFrom, bytes });
    this.#sessionBytes += bytes;
    this.#evict(now);
  }

  restore(owner: Adapter, pid: string, offset: string): Restored | null {
    const session = this.#sessions.get(pid);
    if (!session || session.owner !== owner) return null;
    // A session id is a bearer token: it restores one socket, once.
    this.#forget(pid);
    if (session.disconnectedAt + this.#window < Date.now()) return null;
    const from = this.#replayFrom(owner, session, offset);
    if (from === undefined) return null;
    const missedPackets: unknown[][] = [];
    let firstReplayedSeq: number | undefined;
    const packets = this.#packets;
    const sessionRooms = new Set(session.rooms);
    for (let i = from - this.#firstSeq; i < packets.length; i++) {
      const packet = packets[i] as StoredPacket;
      if (packet.owner === owner && !packet.discarded && reaches(sessionRooms, packet.opts)) {
        firstReplayedSeq ??= packet.seq;
        missedPackets.push(packet.data);
      }
    }
    const { sid, rooms, data } = session;
    return { session: { sid, pid, rooms, data, missedPackets }, firstReplayedSeq };
  }

  /**
   * The seq of the first packet the client may have missed, or undefined when some of what it
   * missed was evicted (or cannot be told). A client's offset is the last event it received; one
   * older than its session's first packet is left from an earlier session (socket.io-client keeps
   * it across a CONNECT): such a client, like one that sent none, received nothing of this session.
   */
  #replayFrom(owner: Adapter, session: StoredSession, offset: string): number | undefined {
    const { missedFrom } = session;
    if (offset !== NO_EVENT_RECEIVED) {
      const last = this.#byId.get(offset);
      if (last) {
        if (last.owner !== owner) return undefined;
        if (missedFrom === undefined || last.seq >= missedFrom) return last.seq + 1;
      } else {
        // Evicted within this session, or not an offset of this log: what it missed is not all here.
        const seq = this.#issuedSeq(offset);
        if (seq === undefined || missedFrom === undefined || seq >= missedFrom) return undefined;
      }
    }
    // The packets from the session's first one on must all still be here.
    if (missedFrom === undefined || missedFrom < this.#firstSeq + this.#head) return undefined;
    return missedFrom;
  }

  /** The seq of an offset this log issued (kept or evicted since), else undefined. */
  #issuedSeq(offset: string): number | undefined {
    if (!offset.startsWith(this.#prefix)) return undefined;
    const digits = offset.slice(this.#prefix.length);
    const seq = Number.parseInt(digits, 36);
    return seq >= 0 && seq < this.#nextSeq && seq.toString(36) === digits ? seq : undefined;
  }

  #evict(now: number): void {
    const { maxPackets, maxBytes, maxSessions, maxSessionBytes } = this.#limits;
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
      const within = this.#sessions.size <= maxSessions && this.#sessionBytes <= maxSessionBytes;
      if (within && session.disconnectedAt >= threshold) break;
      this.#forget(pid);
    }
  }

  #forget(pid: string): void {
    const session = this.#sessions.get(pid);
    if (!session) return;
    this.#sessions.delete(pid);
    this.#sessionBytes -= session.bytes;
  }
}

// socket.io-adapter's rule: a packet reaches a session when it went to everyone or to one of the
// session's rooms, and excluded none of them. Checked from the smaller side: a session a client
// made join thousands of rooms costs a restore no more per packet than the packet's own rooms.
function reaches(rooms: ReadonlySet<string>, opts: BroadcastOptions): boolean {
  const included = opts.rooms.size === 0 || intersects(opts.rooms, rooms);
  return included && (opts.except === undefined || !intersects(opts.except, rooms));
}

function intersects(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  const [smaller, larger] = a.size <= b.size ? [a, b] : [b, a];
  for (const item of smaller) if (larger.has(item)) return true;
  return false;
}

function resolveRecoveryLimits(limits: Partial<RecoveryLimits> | null | undefined): RecoveryLimits {
  const merged = { ...DEFAULT_RECOVERY_LIMITS, ...limits };
  for (const key of ['maxPackets', 'maxBytes', 'maxSessions', 'maxSessionBytes'] as const) {
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

/** A kept session's estimated heap: see {@link RecoveryLimits.maxSessionBytes}. */
function sessionBytes(rooms: Iterable<string>): number {
  let bytes = SESSION_BASE_BYTES;
  for (const room of rooms) bytes += SESSION_ROOM_BYTES + 2 * room.length;
  return bytes;
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
 * Unlike socket.io's own, it also restores a client that comes back with its session id and no
 * offset (socket.io-client sends none until it received an event): it gets what reached its rooms
 * since the first kept packet addressed to it, or CONNECT when part of that was evicted.
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
    /**
     * Per socket in this namespace, from its first room to its disconnection: the seq of the first
     * kept packet addressed to it, -1 while none was. A client that comes back without an offset
     * received none of them, so it missed them all (and nothing before the first).
     */
    readonly #firstAddressed = new Map<string, number>();
    /** How many of them no kept packet was addressed to yet: none, and broadcasts skip the watch. */
    #unaddressed = 0;
    /** Whether broadcasts tell this adapter their recipients (see `observeApplyRecipients`). */
    #recipientsObserved = false;
    /** The kept packet being broadcast, and whether its broadcast went through `apply`. */
    #broadcasting: StoredPacket | undefined;
    #applied = false;

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
      this.#recipientsObserved = observeApplyRecipients(this, () => this.#watchRecipients());
      restoreSessionsWithoutOffset(nsp, this, NO_EVENT_RECEIVED);
    }

    #watchRecipients(): ((socketId: string) => void) | undefined {
      const entry = this.#broadcasting;
      if (!entry) return undefined;
      this.#applied = true;
      if (this.#unaddressed === 0) return undefined;
      return (socketId) => {
        if (this.#firstAddressed.get(socketId) === -1) this.#setFirstAddressed(socketId, entry.seq);
      };
    }

    #setFirstAddressed(id: string, seq: number): void {
      const previous = this.#firstAddressed.get(id);
      if (previous === -1) this.#unaddressed--;
      if (seq === -1) this.#unaddressed++;
      this.#firstAddressed.set(id, seq);
    }

    override addAll(id: string, rooms: Set<string>): Promise<void> | void {
      if (this.#log && !this.#firstAddressed.has(id)) this.#setFirstAddressed(id, -1);
      return super.addAll(id, rooms);
    }

    override delAll(id: string): void {
      if (this.#firstAddressed.get(id) === -1) this.#unaddressed--;
      this.#firstAddressed.delete(id);
      super.delAll(id);
    }

    override close(): void {
      this.#log?.close();
      super.close();
    }

    override persistSession(session: SessionToPersist): void {
      const log = this.#log;
      if (!log) return;
      const first = this.#firstAddressed.get(session.sid);
      const missedFrom =
        !this.#recipientsObserved || first === undefined ? undefined : first >= 0 ? first : log.nextSeq;
      log.persist(this, session, missedFrom);
    }

    override restoreSession(pid: string, offset: string): Promise<Session> {
      const restored = this.#log?.restore(this, pid, offset);
      if (!restored) return Promise.resolve(null) as unknown as Promise<Session>;
      // The replayed packets are addressed to the restored socket: should they be lost on the way,
      // a comeback without an offset gets them again.
      this.#setFirstAddressed(restored.session.sid, restored.firstReplayedSeq ?? -1);
      return Promise.resolve(restored.session);
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
      this.#broadcasting = entry;
      this.#applied = false;
      try {
        super.broadcast(packet, opts);
      } catch (err) {
        log.discard(entry);
        throw err;
      } finally {
        this.#broadcasting = undefined;
      }
      // Another socket.io-adapter that does not deliver through `apply`: whom a packet reached is
      // unknown from now on, so clients without an offset get CONNECT, as with socket.io's own.
      if (!this.#applied) this.#recipientsObserved = false;
      log.sized(entry, this.#encodedBytes >= 0 ? this.#encodedBytes : estimateBytes(packet.data));
    }
  };
}
