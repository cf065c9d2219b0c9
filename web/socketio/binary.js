/**
 * Binary attachments of Socket.IO v5: binary values inside a packet's data are replaced by
 * `{"_placeholder":true,"num":i}` and sent as separate Engine.IO binary messages, in order.
 *
 * Accepted binary values: ArrayBuffer, every ArrayBufferView (typed arrays, DataView) and Blob
 * (File included). A Blob can only be read asynchronously, so packets holding one are encoded
 * in a Promise (see parser.js).
 */

const hasBlob = typeof Blob !== 'undefined';

/** @param {unknown} value */
export function isBinaryValue(value) {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value) || (hasBlob && value instanceof Blob);
}

/**
 * Whether `data` holds a binary value anywhere (arrays, plain objects, and what `toJSON`
 * returns, since JSON.stringify would send that).
 * @param {unknown} data
 * @param {number} [depth] guards against cycles, which JSON.stringify would reject anyway
 */
export function hasBinary(data, depth = 0) {
  if (depth > 1000 || data === null || typeof data !== 'object') return false;
  if (isBinaryValue(data)) return true;
  if (Array.isArray(data)) return data.some((v) => hasBinary(v, depth + 1));
  if (typeof data.toJSON === 'function') {
    const json = data.toJSON();
    return json !== data && hasBinary(json, depth + 1);
  }
  return Object.values(data).some((v) => hasBinary(v, depth + 1));
}

/**
 * Replaces every binary value with a placeholder, without touching the caller's objects
 * (subtrees without binary are shared, not copied).
 * @param {unknown} data
 * @returns {{data: unknown, buffers: Array<ArrayBuffer | ArrayBufferView | Blob>}}
 */
export function deconstruct(data) {
  const buffers = [];
  const walk = (value) => {
    if (!hasBinary(value)) return value;
    if (isBinaryValue(value)) {
      buffers.push(value);
      return { _placeholder: true, num: buffers.length - 1 };
    }
    if (Array.isArray(value)) return value.map(walk);
    if (typeof value.toJSON === 'function') return walk(value.toJSON());
    const copy = {};
    for (const [k, v] of Object.entries(value)) copy[k] = walk(v);
    return copy;
  };
  return { data: walk(data), buffers };
}

/**
 * Puts the received attachments back in place of their placeholders.
 * @param {unknown} data
 * @param {ArrayBuffer[]} buffers
 * @returns {unknown}
 * @throws {Error} on a placeholder whose `num` names no attachment
 */
export function reconstruct(data, buffers) {
  if (data === null || typeof data !== 'object') return data;
  if (data._placeholder === true) {
    const num = data.num;
    if (!Number.isInteger(num) || num < 0 || num >= buffers.length) throw new Error('illegal attachment');
    return buffers[num];
  }
  if (Array.isArray(data)) {
    for (let i = 0; i < data.length; i++) data[i] = reconstruct(data[i], buffers);
  } else {
    for (const k of Object.keys(data)) data[k] = reconstruct(data[k], buffers);
  }
  return data;
}
