import type http from 'node:http';

/** Writes a JSON body (already serialised) with its length; nothing if the client is gone. */
export function sendJsonText(res: http.ServerResponse, status: number, text: string): void {
  if (res.destroyed) return;
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // A refused oversized body may still be arriving: do not keep reading this connection.
    ...(status === 413 ? { connection: 'close' } : {}),
  });
  res.end(text);
}

export const sendJson = (res: http.ServerResponse, status: number, body: unknown): void =>
  sendJsonText(res, status, JSON.stringify(body));
