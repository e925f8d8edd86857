import { useEffect, useState } from 'preact/hooks';

/**
 * A minimal observable value. Modules own their state in stores (connection status, session,
 * language) and views read them with `useStore`, so no view keeps a second copy that can drift.
 */
export interface Store<T> {
  get(): T;
  set(next: T): void;
  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: (value: T) => void): () => void;
}

/** Creates a store holding `initial`. Setting an identical value (Object.is) notifies no one. */
export function createStore<T>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<(value: T) => void>();
  return {
    get: () => value,
    set(next) {
      if (Object.is(next, value)) return;
      value = next;
      for (const listener of [...listeners]) listener(value);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** Subscribes a component to a store and re-renders it on every change. */
export function useStore<T>(store: Store<T>): T {
  const [value, setValue] = useState(store.get);
  useEffect(() => {
    // The value may have changed between render and effect; pick that up before listening.
    setValue(() => store.get());
    return store.subscribe((next) => setValue(() => next));
  }, [store]);
  return value;
}
