// The part of EventEmitter that Bun's own sockets (./light-socket.ts) need, without node:events: each
// built-in a compiled binary loads costs milliseconds of its start, and `call echo` loads none
// (docs/performance.md, "Start-up"). Behaves as EventEmitter there: listeners in the order added, a
// listener added or removed during an emit does not change that emit, a once-listener removable by the
// function given, an 'error' with no listener thrown.

type Listener = (...args: never[]) => void;
type Wrapped = Listener & { readonly original?: Listener };

export class Events {
  private readonly listeners = new Map<string, readonly Wrapped[]>();

  on(event: string, fn: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), fn]);
    return this;
  }

  once(event: string, fn: Listener): this {
    const once: Wrapped = Object.assign(
      (...args: never[]) => {
        this.off(event, once);
        fn(...args);
      },
      { original: fn },
    );
    return this.on(event, once);
  }

  off(event: string, fn: Listener): this {
    const list = this.listeners.get(event) ?? [];
    const i = list.findLastIndex((l) => l === fn || l.original === fn);
    if (i >= 0) this.listeners.set(event, list.toSpliced(i, 1));
    return this;
  }

  removeListener(event: string, fn: Listener): this {
    return this.off(event, fn);
  }

  removeAllListeners(event?: string): this {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
    return this;
  }

  /**
   * One argument at most, which is all a socket's events carry: a rest parameter would be an array per
   * emit, and 'data' is emitted for every read of the load path (issue 27, "Garbage per call").
   */
  emit(event: string, arg?: unknown): boolean {
    const list = this.listeners.get(event);
    if (list === undefined || list.length === 0) {
      if (event === "error") throw arg;
      return false;
    }
    for (let i = 0; i < list.length; i++) (list[i] as (a: unknown) => void)(arg);
    return true;
  }

  listenerCount(event: string): number {
    return this.listeners.get(event)?.length ?? 0;
  }
}
