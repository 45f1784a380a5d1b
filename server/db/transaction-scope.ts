/**
 * The nesting of transactions over one connection, shared by both stores.
 *
 * A scope is one level: the SQLite connection itself (depth 0), a transaction on it (depth 1), a
 * savepoint inside that (depth 2) and so on; on PostgreSQL a transaction's dedicated client starts at
 * depth 1. While a transaction opened on a scope is running, other calls on that scope wait for it to
 * end ({@link TransactionScope.whenIdle}), and transactions opened on the same scope run one after the
 * other ({@link TransactionScope.run}). So a call made outside a transaction can never slip into it (on
 * SQLite every caller shares one connection), and two nested transactions never interleave their
 * savepoints. A scope that has ended refuses further calls (a store handle kept after its transaction).
 */
export class TransactionScope {
  /** 0: the connection; 1: a transaction; 2 and more: savepoints. */
  readonly depth: number;
  #child: TransactionScope | undefined;
  #childEnded: Promise<void> = Promise.resolve();
  #queue: Promise<void> = Promise.resolve();
  #ended = false;

  constructor(depth: number) {
    this.depth = depth;
  }

  /** Whether this scope's transaction has ended (or its store was closed). */
  get ended(): boolean {
    return this.#ended;
  }

  /** Ends this scope: its store refuses further calls. */
  end(): void {
    this.#ended = true;
  }

  /**
   * Undefined when calls on this scope may run now; otherwise a promise that resolves when the
   * transaction opened on it (and any queued after it) has ended.
   */
  whenIdle(): Promise<void> | undefined {
    if (this.#child === undefined) return undefined;
    return (async () => {
      while (this.#child !== undefined) await this.#childEnded;
    })();
  }

  /**
   * Runs `body` as the one child transaction of this scope, after the ones already queued. The child
   * scope ends when `body` settles.
   *
   * @param body begins the transaction (or savepoint), runs the caller's work and commits or rolls back
   */
  async run<T>(body: (child: TransactionScope) => Promise<T>): Promise<T> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise<void>((resolve) => (release = resolve));
    try {
      await previous;
      const child = new TransactionScope(this.depth + 1);
      let endChild!: () => void;
      this.#childEnded = new Promise<void>((resolve) => (endChild = resolve));
      this.#child = child;
      try {
        return await body(child);
      } finally {
        child.#ended = true;
        this.#child = undefined;
        endChild();
      }
    } finally {
      release();
    }
  }
}
