/**
 * Socket.IO v5 packets (the default parser): `<type>[<attachments>-][<nsp>,][<ack id>][JSON]`,
 * and the decoder that gathers a binary packet's attachments before handing it out.
 */
import { Emitter } from './emitter.js';
import { deconstruct, hasBinary, reconstruct } from './binary.js';

/** Packet type codes. */
export const PacketType = Object.freeze({
  CONNECT: 0,
  DISCONNECT: 1,
  EVENT: 2,
  ACK: 3,
  CONNECT_ERROR: 4,
  BINARY_EVENT: 5,
  BINARY_ACK: 6,
});

/**
 * @typedef {{type: number, nsp: string, id?: number, data?: any, attachments?: number}} Packet
 */

/**
 * Encodes a packet into the Engine.IO messages that carry it: the text header, then one
 * binary message per attachment. Returns a Promise only when a Blob must be read first.
 * @param {Packet} packet
 * @returns {Array<string | ArrayBuffer | ArrayBufferView> | Promise<Array<string | ArrayBuffer | ArrayBufferView>>}
 */
export function encode(packet) {
  let { type, data } = packet;
  let buffers = [];
  if ((type === PacketType.EVENT || type === PacketType.ACK) && hasBinary(data)) {
    type = type === PacketType.EVENT ? PacketType.BINARY_EVENT : PacketType.BINARY_ACK;
    ({ data, buffers } = deconstruct(data));
  }
  let text = String(type);
  if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) text += `${buffers.length}-`;
  if (packet.nsp && packet.nsp !== '/') text += `${packet.nsp},`;
  if (packet.id !== undefined && packet.id !== null) text += String(packet.id);
  if (data !== undefined) text += JSON.stringify(data);
  if (!buffers.some((b) => typeof Blob !== 'undefined' && b instanceof Blob)) return [text, ...buffers];
  return Promise.all(buffers.map((b) => (b instanceof Blob ? b.arrayBuffer() : b))).then((read) => [text, ...read]);
}

/**
 * Reads a packet's text form.
 * @param {string} text
 * @returns {Packet}
 * @throws {Error} on anything a v5 server cannot have sent
 */
function decodeText(text) {
  let i = 0;
  const type = text.charCodeAt(i++) - 48;
  if (!(type >= 0 && type <= 6)) throw new Error(`unknown packet type ${text[0]}`);
  const packet = { type, nsp: '/' };
  if (type === PacketType.BINARY_EVENT || type === PacketType.BINARY_ACK) {
    const dash = text.indexOf('-', i);
    const count = text.slice(i, dash);
    if (dash < 0 || !/^[0-9]+$/.test(count)) throw new Error('illegal attachments');
    packet.attachments = Number(count);
    i = dash + 1;
  }
  if (text[i] === '/') {
    const comma = text.indexOf(',', i);
    const end = comma < 0 ? text.length : comma;
    packet.nsp = text.slice(i, end);
    i = comma < 0 ? end : end + 1;
  }
  const idStart = i;
  while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
  if (i > idStart) packet.id = Number(text.slice(idStart, i));
  if (i < text.length) packet.data = JSON.parse(text.slice(i));
  if (!validPayload(packet)) throw new Error('invalid payload');
  return packet;
}

/** @param {Packet} p */
function validPayload(p) {
  const isObject = (d) => d !== null && typeof d === 'object' && !Array.isArray(d);
  switch (p.type) {
    case PacketType.CONNECT:
      return p.data === undefined || isObject(p.data);
    case PacketType.DISCONNECT:
      return p.data === undefined;
    case PacketType.CONNECT_ERROR:
      return typeof p.data === 'string' || isObject(p.data);
    case PacketType.EVENT:
    case PacketType.BINARY_EVENT:
      return Array.isArray(p.data) && p.data.length > 0 &&
        (typeof p.data[0] === 'string' || typeof p.data[0] === 'number');
    default:
      return Array.isArray(p.data);
  }
}

/**
 * Turns Engine.IO messages back into packets: fires `decoded` (packet) for each, once a
 * binary packet has all its attachments.
 */
export class Decoder extends Emitter {
  constructor() {
    super();
    /** @type {{packet: Packet, buffers: ArrayBuffer[]} | null} */
    this.pending = null;
  }

  /**
   * @param {string | ArrayBuffer} message
   * @throws {Error} on a malformed packet or an attachment out of place (the manager then
   *   closes with "parse error")
   */
  add(message) {
    if (typeof message === 'string') {
      if (this.pending) throw new Error('got plaintext data when reconstructing a packet');
      const packet = decodeText(message);
      if (packet.attachments) this.pending = { packet, buffers: [] };
      else this.finish(packet, []);
      return;
    }
    if (!this.pending) throw new Error('got binary data when not reconstructing a packet');
    this.pending.buffers.push(message);
    if (this.pending.buffers.length === this.pending.packet.attachments) {
      const { packet, buffers } = this.pending;
      this.pending = null;
      this.finish(packet, buffers);
    }
  }

  finish(packet, buffers) {
    if (packet.type === PacketType.BINARY_EVENT || packet.type === PacketType.BINARY_ACK) {
      packet.data = reconstruct(packet.data, buffers);
    }
    delete packet.attachments;
    this.fire('decoded', packet);
  }

  /** Drops a half-received binary packet (the connection it came on is gone). */
  destroy() {
    this.pending = null;
  }
}
