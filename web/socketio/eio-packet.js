/**
 * Engine.IO v4 packets: the one-character type codes, text encoding for WebSocket frames, and
 * the long-polling payload (packets joined by the record separator U+001E, binary as
 * `b` + base64 because a v4 polling body is text).
 */

/** Packet type names by wire code. */
export const TYPES = ['open', 'close', 'ping', 'pong', 'message', 'upgrade', 'noop'];

/** Engine.IO v4 separates packets of a polling payload with the ASCII record separator. */
const SEPARATOR = '\x1e';

/**
 * @typedef {{type: string, data?: string | ArrayBuffer | ArrayBufferView}} Packet
 */

/** @param {unknown} data */
export function isBinary(data) {
  return data instanceof ArrayBuffer || ArrayBuffer.isView(data);
}

/**
 * The bytes of `data` without copying when it is already a `Uint8Array`.
 * @param {ArrayBuffer | ArrayBufferView} data
 */
function bytesOf(data) {
  return data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Base64 of `bytes`, built in chunks: `String.fromCharCode(...bytes)` on a large array would
 * overflow the call stack.
 * @param {Uint8Array} bytes
 */
function toBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** @param {string} text */
function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

/**
 * One packet as a WebSocket frame: binary messages go as binary frames with no type prefix
 * (Engine.IO v4), everything else as text `<type code><data>`.
 * @param {Packet} packet
 * @returns {string | ArrayBuffer | ArrayBufferView}
 */
export function encodeFrame(packet) {
  if (packet.type === 'message' && isBinary(packet.data)) return packet.data;
  return TYPES.indexOf(packet.type) + (packet.data ?? '');
}

/**
 * One packet inside a polling payload: binary as `b` + base64.
 * @param {Packet} packet
 * @returns {string}
 */
function encodeText(packet) {
  if (packet.type === 'message' && isBinary(packet.data)) return 'b' + toBase64(bytesOf(packet.data));
  return TYPES.indexOf(packet.type) + (packet.data ?? '');
}

/**
 * A polling request body.
 * @param {Packet[]} packets
 */
export function encodePayload(packets) {
  return packets.map(encodeText).join(SEPARATOR);
}

/**
 * The size a packet adds to a polling payload, to keep a POST under the server's `maxPayload`.
 * Text is counted in UTF-8 bytes, the unit the server measures.
 * @param {Packet} packet
 */
export function payloadSize(packet) {
  if (packet.type === 'message' && isBinary(packet.data)) return 2 + Math.ceil(packet.data.byteLength / 3) * 4;
  const text = packet.data ?? '';
  let size = 2;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    size += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? (i++, 4) : 3;
  }
  return size;
}

/**
 * One received frame or payload element. A binary WebSocket frame is a binary message;
 * a text one is `<type code><data>`, or `b<base64>` inside a polling payload.
 * @param {string | ArrayBuffer} raw
 * @returns {Packet | null} null when malformed (the caller closes with "parse error")
 */
export function decodePacket(raw) {
  if (typeof raw !== 'string') return { type: 'message', data: raw };
  if (raw.startsWith('b')) {
    try {
      return { type: 'message', data: fromBase64(raw.slice(1)) };
    } catch {
      return null;
    }
  }
  const type = TYPES[raw.charCodeAt(0) - 48];
  if (type === undefined) return null;
  return { type, data: raw.slice(1) };
}

/**
 * A polling response body.
 * @param {string} body
 * @returns {Packet[] | null} null when any packet is malformed
 */
export function decodePayload(body) {
  const packets = [];
  for (const part of body.split(SEPARATOR)) {
    const packet = decodePacket(part);
    if (packet === null) return null;
    packets.push(packet);
  }
  return packets;
}
