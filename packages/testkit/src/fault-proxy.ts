/**
 * A fault-injecting reverse proxy on 127.0.0.1 for S3 tests: it forwards
 * requests to a real server unchanged (Host header included, so SigV4
 * signatures still verify) and, where a rule matches, injects the failures
 * real networks and real S3 produce: connection resets before or after the
 * server acted, 500 and 503 SlowDown replies, stalls, and bodies cut mid-way.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** What to do to a matching request. */
export type Fault =
  /** Drop the connection before forwarding: the server never sees the request. */
  | { readonly kind: 'reset-before' }
  /** Forward, let the server act, then drop the connection: the reply is lost. */
  | { readonly kind: 'reset-after' }
  /** Answer with an S3 error instead of forwarding. */
  | { readonly kind: 'status'; readonly status: 500 | 503; readonly code: 'InternalError' | 'SlowDown' }
  /** Hold the request without answering for this long (then drop it). */
  | { readonly kind: 'stall'; readonly ms: number }
  /** Forward, then send only the first `bytes` of the response body and drop the connection. */
  | { readonly kind: 'truncate'; readonly bytes: number }
  /** Wait this long, then forward normally (a slow link). */
  | { readonly kind: 'delay'; readonly ms: number };

/** When a fault applies. */
export interface FaultRule {
  /** S3 operation from the SDK's `x-id` query parameter (`UploadPart`, `GetObject`, …) or the method for others. */
  readonly action?: string;
  /** Only for this part number (UploadPart). */
  readonly partNumber?: number;
  readonly fault: Fault;
  /** Apply to this many matching requests, then stop; default 1. */
  readonly times?: number;
  /** Let this many matching requests through first; default 0. */
  readonly skip?: number;
}

/** A running proxy. */
export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: use it as the S3 endpoint. */
  readonly endpoint: string;
  /** Replaces the rules; counters start afresh. */
  setRules(rules: readonly FaultRule[]): void;
  /** Faults injected so far, by kind. */
  readonly injected: Record<string, number>;
  /** Requests seen, as `action` names. */
  readonly seen: string[];
  /** Request body bytes forwarded upstream (what actually reached the server's side of the link). */
  readonly bytesForwarded: () => number;
  /** Requests that arrived in forward-proxy form: absolute URLs and CONNECT tunnels, by target host:port. */
  readonly proxied: string[];
  /** Connections accepted so far (TLS connections count even when their handshake fails). */
  readonly connections: () => number;
  stop(): Promise<void>;
}

interface LiveRule {
  readonly rule: FaultRule;
  skipped: number;
  applied: number;
}

function actionOf(req: IncomingMessage): { action: string; partNumber?: number } {
  const url = new URL(req.url ?? '/', 'http://proxy');
  const action = url.searchParams.get('x-id') ?? `${req.method ?? 'GET'}`;
  const part = url.searchParams.get('partNumber');
  return part === null ? { action } : { action, partNumber: Number(part) };
}

function s3Error(code: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>injected by the fault proxy</Message><RequestId>fault</RequestId></Error>`;
}

/** Options for {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Serve HTTPS with this certificate (PEM), forwarding to the plain-HTTP target: S3 over TLS for tests. */
  readonly tls?: { readonly cert: string; readonly key: string };
}

/**
 * Starts a fault proxy in front of `target` (e.g. MinIO's endpoint). It also
 * works as a forward proxy: absolute-URL requests go to the host they name, and
 * CONNECT opens a tunnel (no faults inside tunnels), so it can stand in for a
 * corporate `HTTPS_PROXY`.
 */
export async function startFaultProxy(target: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const upstream = new URL(target);
  const proxied: string[] = [];
  let rules: LiveRule[] = [];
  const injected: Record<string, number> = {};
  const seen: string[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let forwardedBytes = 0;

  const pick = (req: IncomingMessage): Fault | undefined => {
    const { action, partNumber } = actionOf(req);
    seen.push(action);
    for (const live of rules) {
      const { rule } = live;
      if (rule.action !== undefined && rule.action !== action) continue;
      if (rule.partNumber !== undefined && rule.partNumber !== partNumber) continue;
      if (live.skipped < (rule.skip ?? 0)) {
        live.skipped++;
        continue;
      }
      if (live.applied >= (rule.times ?? 1)) continue;
      live.applied++;
      injected[rule.fault.kind] = (injected[rule.fault.kind] ?? 0) + 1;
      return rule.fault;
    }
    return undefined;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, fault: Fault | undefined) => {
    // Forward-proxy form: an absolute URL names the destination.
    const absolute = /^https?:\/\//.test(req.url ?? '') ? new URL(req.url as string) : undefined;
    if (absolute) proxied.push(absolute.host);
    const upstreamReq = request(
      {
        host: absolute?.hostname ?? upstream.hostname,
        port: absolute?.port || upstream.port,
        method: req.method,
        path: absolute ? `${absolute.pathname}${absolute.search}` : req.url,
        headers: req.headers,
      },
      (upstreamRes) => {
        if (fault?.kind === 'reset-after') {
          upstreamRes.resume();
          upstreamRes.on('end', () => req.socket.destroy());
          return;
        }
        res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
        if (fault?.kind === 'truncate') {
          let sent = 0;
          upstreamRes.on('data', (chunk: Buffer) => {
            if (sent >= fault.bytes) return;
            const piece = chunk.subarray(0, fault.bytes - sent);
            sent += piece.length;
            res.write(piece);
            if (sent >= fault.bytes) {
              upstreamRes.destroy();
              req.socket.destroy();
            }
          });
          upstreamRes.on('end', () => req.socket.destroy());
          return;
        }
        upstreamRes.pipe(res);
      },
    );
    upstreamReq.on('error', () => req.socket.destroy());
    req.on('data', (chunk: Buffer) => {
      forwardedBytes += chunk.length;
    });
    req.pipe(upstreamReq);
  };

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const fault = pick(req);
    if (!fault || fault.kind === 'reset-after' || fault.kind === 'truncate') return forward(req, res, fault);
    if (fault.kind === 'delay') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        forward(req, res, undefined);
      }, fault.ms);
      timers.add(timer);
      return;
    }
    if (fault.kind === 'reset-before') {
      req.resume();
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'status') {
      req.resume();
      req.on('end', () => {
        res.writeHead(fault.status, { 'content-type': 'application/xml', connection: 'close' });
        res.end(s3Error(fault.code));
      });
      return;
    }
    // stall: read the request, answer nothing, drop the connection after the delay.
    req.resume();
    const timer = setTimeout(() => {
      timers.delete(timer);
      req.socket.destroy();
    }, fault.ms);
    timers.add(timer);
  };
  const server = options.tls
    ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createServer(handler);
  // CONNECT: a plain tunnel to the requested host:port, as an HTTPS proxy does.
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const [host = '127.0.0.1', port = '443'] = (req.url ?? '').split(':');
    proxied.push(`${host}:${port}`);
    const tunnel = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      tunnel.write(head);
      tunnel.pipe(client);
      client.pipe(tunnel);
    });
    tunnel.on('error', () => client.destroy());
    client.on('error', () => tunnel.destroy());
    sockets.add(tunnel);
    tunnel.on('close', () => sockets.delete(tunnel));
  });
  let connectionCount = 0;
  server.on('connection', (socket: Socket) => {
    connectionCount++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `${options.tls ? 'https' : 'http'}://${options.tls ? 'localhost' : '127.0.0.1'}:${port}`,
    injected,
    seen,
    bytesForwarded: () => forwardedBytes,
    proxied,
    connections: () => connectionCount,
    setRules(next) {
      rules = next.map((rule) => ({ rule, skipped: 0, applied: 0 }));
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
