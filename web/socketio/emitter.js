/**
 * A minimal event emitter shared by every layer of the client.
 *
 * Why our own: the client must run with no build step and no dependencies, and the browser's
 * EventTarget cannot pass several arguments to a listener (Socket.IO events carry many).
 * `fire` (not `emit`) dispatches locally, because `Socket#emit` sends to the server.
 */
export class Emitter {
  /** @type {Map<string, Function[]>} */
  #listeners = new Map();

  /**
   * Adds `fn` for `event`.
   * @param {string} event
   * @param {Function} fn
   * @returns {this}
   */
  on(event, fn) {
    const list = this.#listeners.get(event);
    if (list) list.push(fn);
    else this.#listeners.set(event, [fn]);
    return this;
  }

  /**
   * Adds `fn` for the next `event` only; `off(event, fn)` still finds it by the original function.
   * @param {string} event
   * @param {Function} fn
   * @returns {this}
   */
  once(event, fn) {
    const wrapper = (...args) => {
      this.off(event, wrapper);
      fn.apply(this, args);
    };
    wrapper.original = fn;
    return this.on(event, wrapper);
  }

  /**
   * Removes `fn` from `event`, every listener of `event` (no `fn`), or every listener (no args),
   * as socket.io-client's `off` does.
   * @param {string} [event]
   * @param {Function} [fn]
   * @returns {this}
   */
  off(event, fn) {
    if (event === undefined) {
      this.#listeners.clear();
    } else if (fn === undefined) {
      this.#listeners.delete(event);
    } else {
      const list = this.#listeners.get(event);
      const at = list ? list.findIndex((l) => l === fn || l.original === fn) : -1;
      if (at >= 0) list.splice(at, 1);
      if (list && list.length === 0) this.#listeners.delete(event);
    }
    return this;
  }

  /**
   * The listeners of `event`, in the order they run.
   * @param {string} event
   * @returns {Function[]}
   */
  listeners(event) {
    return [...(this.#listeners.get(event) ?? [])];
  }

  /**
   * Whether `event` has listeners.
   * @param {string} event
   * @returns {boolean}
   */
  hasListeners(event) {
    return this.#listeners.has(event);
  }

  /**
   * Runs the listeners of `event` locally. The list is copied first so a listener that removes
   * itself (or another) does not make the loop skip one.
   * @param {string} event
   * @param {...unknown} args
   * @returns {this}
   */
  fire(event, ...args) {
    const list = this.#listeners.get(event);
    if (list) for (const fn of [...list]) fn.apply(this, args);
    return this;
  }
}

/**
 * Subscribes `fn` to `event` on `emitter` and returns the function that unsubscribes it: the
 * Manager and Socket keep these to drop every subscription at once when they are destroyed.
 * @param {Emitter} emitter
 * @param {string} event
 * @param {Function} fn
 * @returns {() => void}
 */
export function subscribe(emitter, event, fn) {
  emitter.on(event, fn);
  return () => emitter.off(event, fn);
}
