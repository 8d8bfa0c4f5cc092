/**
 * HTTP(S) proxies: which proxy, if any, applies to an endpoint, following the
 * conventions of `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` (read by the app,
 * passed in as data: this package never reads the environment).
 */
import type { AgentOptions, Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent, AgentOptions as HttpsAgentOptions } from 'node:https';
import { TriageError } from '@triage/errors';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';

/** Proxy settings of a transport. */
export interface ProxySettings {
  /** `http://host:port` (optionally with user:password) of the proxy; https endpoints are reached through CONNECT. */
  readonly proxy?: string | undefined;
  /** Hosts reached directly: exact names, `.suffix` or `suffix` domain matches, `host:port`, or `*`. */
  readonly noProxy?: readonly string[] | undefined;
}

/**
 * Proxy settings from environment variables, for an app to pass to
 * `createTransport`: `HTTPS_PROXY` (or `https_proxy`) for https endpoints,
 * `HTTP_PROXY` (or `http_proxy`) for http ones, `NO_PROXY` (or `no_proxy`),
 * comma-separated.
 *
 * @param env - e.g. `process.env`, in the app
 * @param endpoint - the S3 endpoint URL; default AWS's, which is https
 */
export function proxyFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  endpoint = 'https://s3.amazonaws.com',
): ProxySettings {
  const https = new URL(endpoint).protocol === 'https:';
  const proxy = https ? (env.HTTPS_PROXY ?? env.https_proxy) : (env.HTTP_PROXY ?? env.http_proxy);
  const noProxy = (env.NO_PROXY ?? env.no_proxy ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return { ...(proxy ? { proxy } : {}), ...(noProxy.length > 0 ? { noProxy } : {}) };
}

/** Whether `url`'s host is listed in `noProxy` (so it is reached directly). */
export function bypassesProxy(url: URL, noProxy: readonly string[] = []): boolean {
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, '');
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return noProxy.some((raw) => {
    const entry = raw.toLowerCase();
    if (entry === '*') return true;
    // `[v6]:port`, `host:port` (exactly one colon), or a bare name or IPv6 literal.
    const colons = entry.split(':').length - 1;
    const [name = '', entryPort] = entry.startsWith('[')
      ? [entry.slice(1, entry.indexOf(']')), entry.split(']:')[1]]
      : colons === 1
        ? entry.split(':')
        : [entry, undefined];
    if (entryPort !== undefined && entryPort !== port) return false;
    const bare = name.replace(/^\*?\./, '');
    return host === bare || host.endsWith(`.${bare}`);
  });
}

/**
 * HTTP and HTTPS agents for an endpoint: through the proxy unless bypassed.
 * TLS verification is always on. Without a proxy these are agent *options*,
 * not agents: the SDK's handler then owns the agents and honours
 * `Expect: 100-continue` on large bodies (it does not for agents it is
 * given), so a server can refuse a part (NoSuchUpload, 403) before the body is
 * sent instead of resetting the connection under it. Through a proxy the
 * agents must be ours, and that early refusal can show as a reset.
 */
export function agentsFor(
  endpoint: string | undefined,
  settings: ProxySettings,
  tls: { readonly ca?: string | Buffer | (string | Buffer)[] | undefined },
): { httpAgent: HttpAgent | AgentOptions; httpsAgent: HttpsAgent | HttpsAgentOptions } {
  const base = { keepAlive: true, maxSockets: 64 };
  const ca = tls.ca === undefined ? {} : { ca: tls.ca };
  const target = new URL(endpoint ?? 'https://s3.amazonaws.com');
  if (!settings.proxy || bypassesProxy(target, settings.noProxy)) {
    return { httpAgent: base, httpsAgent: { ...base, ...ca } };
  }
  let proxyUrl: URL;
  try {
    proxyUrl = new URL(settings.proxy);
  } catch (cause) {
    throw new TriageError('CONFIG_INVALID', 'The proxy setting is not a URL (expected http://host:port).', {
      cause,
    });
  }
  return {
    httpAgent: new HttpProxyAgent(proxyUrl, base) as unknown as HttpAgent,
    httpsAgent: new TrustingHttpsProxyAgent(proxyUrl, { ...base, ...ca }, ca) as unknown as HttpsAgent,
  };
}

/**
 * https-proxy-agent does not pass its own options to the TLS connection with
 * the target inside the CONNECT tunnel; this passes the extra CA there.
 */
class TrustingHttpsProxyAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: URL,
    options: ConstructorParameters<typeof HttpsProxyAgent>[1],
    private readonly targetTls: { ca?: string | Buffer | (string | Buffer)[] },
  ) {
    super(proxy, options);
  }

  override connect(
    ...args: Parameters<HttpsProxyAgent<string>['connect']>
  ): ReturnType<HttpsProxyAgent<string>['connect']> {
    const [request, options] = args;
    return super.connect(request, { ...options, ...this.targetTls });
  }
}
