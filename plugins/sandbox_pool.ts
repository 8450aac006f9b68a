/**
 * The bound on plugin sandbox processes. Each loaded plugin may keep a process of up to its memory
 * limit; a long-lived host (the server) loading many plugins would otherwise hold them all forever.
 * The pool lets at most `maxLive` processes run at once — starting one more stops the least
 * recently used idle one — and a sandbox stops its process after `idleMs` without calls. A stopped
 * sandbox starts a fresh process at its next call (the plugin's verified bytes stay in the host).
 *
 * @module
 */

/** The pool's bounds. */
export interface PoolLimits {
  /** Sandbox processes that may run at once. */
  maxLive: number;
  /** A sandbox without calls for this long stops its process, in ms. */
  idleMs: number;
  /** Calls that may wait for one plugin behind the one it runs; more are refused (PLUGIN_BUSY). */
  maxQueued: number;
}

/** What the pool needs of a sandbox. */
export interface PoolMember {
  /** When its last call ended (ms, performance.now()). */
  readonly lastUsed: number;
  /** True while a call runs or waits: such a member is never evicted. */
  readonly busy: boolean;
  /** Stops its process (the slot is released when the process has ended). */
  evict(): Promise<void>;
}

/** Bounds used when none are given: four processes, a minute of idleness, eight calls waiting. */
export const DEFAULT_POOL_LIMITS: PoolLimits = { maxLive: 4, idleMs: 60_000, maxQueued: 8 };

interface Slot {
  member: PoolMember;
}

/** Slots for sandbox processes, shared by every sandbox that names the pool. */
export class SandboxPool {
  #live = new Set<Slot>();
  #waiting: (() => void)[] = [];

  constructor(readonly limits: PoolLimits = DEFAULT_POOL_LIMITS) {
    if (!(limits.maxLive >= 1)) throw new RangeError("maxLive must be at least 1");
  }

  /** Processes running now. */
  get live(): number {
    return this.#live.size;
  }

  /**
   * Waits for a slot for one process of `member`, evicting the least recently used idle member
   * when all are taken. Resolves to the function that gives the slot back (call it once the
   * process has ended).
   */
  async acquire(member: PoolMember): Promise<() => void> {
    while (this.#live.size >= this.limits.maxLive) {
      const idle = [...this.#live].filter((s) => !s.member.busy && s.member !== member)
        .sort((a, b) => a.member.lastUsed - b.member.lastUsed)[0];
      if (idle) {
        this.#live.delete(idle); // counted free now: its process is being killed
        await idle.member.evict();
      } else {
        await new Promise<void>((resolve) => this.#waiting.push(resolve));
      }
    }
    const slot: Slot = { member };
    this.#live.add(slot);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#live.delete(slot);
      this.#waiting.shift()?.();
    };
  }

  /** Wakes a waiter: a member became idle and may be evicted for it. */
  idle(): void {
    this.#waiting.shift()?.();
  }
}

/** The pool of every sandbox whose options name none. */
export const DEFAULT_POOL = new SandboxPool();
