/**
 * The request URL of an Engine.IO transport: the server's origin and path, then `EIO=4`, the
 * transport name, the session id once there is one, and the user's `query`.
 *
 * @param {{origin: string, path: string, query?: Record<string, string>}} base
 *   `origin` as `http(s)://host:port`; `path` with its trailing slash
 * @param {string} transport `polling` or `websocket`
 * @param {string | undefined} sid
 * @param {Record<string, string>} [extra] more parameters (the polling cache buster)
 * @returns {string}
 */
export function transportUrl(base, transport, sid, extra = {}) {
  const params = new URLSearchParams(base.query ?? {});
  params.set('EIO', '4');
  params.set('transport', transport);
  if (sid) params.set('sid', sid);
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  let origin = base.origin;
  // A WebSocket needs a ws(s): URL; the same server answers both schemes on the same port.
  if (transport === 'websocket') origin = origin.replace(/^http/, 'ws');
  return `${origin}${base.path}?${params}`;
}
