// Errors of Kubernetes mode, each with a stable code; a subclass of the package's GannetError.
import { GannetError } from '../errors.js';

export type KubernetesErrorCode =
  /** RBAC denies a call the agent needs (HTTP 403): fix the ClusterRole. */
  | 'ERR_GANNET_K8S_FORBIDDEN'
  /** The API server cannot be reached, or answered 5xx: the agent keeps its last known config and retries. */
  | 'ERR_GANNET_K8S_UNREACHABLE'
  /** The API server answered something we did not expect (4xx other than 403/404/409/410, bad JSON). */
  | 'ERR_GANNET_K8S_API'
  /** One BGPPeer/BGPConfiguration object is invalid: it is ignored, the rest of the config applies. */
  | 'ERR_GANNET_K8S_INVALID_OBJECT'
  /** Our Node is missing, or has no pod CIDR / IPv4 InternalIP yet: no config until it has. */
  | 'ERR_GANNET_K8S_NODE_NOT_READY'
  /** Missing NODE_NAME, unreadable kubeconfig: fatal at start. */
  | 'ERR_GANNET_K8S_CONFIG'
  /** Writing the node status failed after its retries (it is retried later). */
  | 'ERR_GANNET_K8S_STATUS_WRITE';

export class KubernetesError extends GannetError {
  constructor(
    override readonly code: KubernetesErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** HTTP status of an error thrown by @kubernetes/client-node (ApiException.code or Watch's error.statusCode). */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode === 'number') return e.statusCode;
  if (typeof e.code === 'number') return e.code;
  return undefined;
}

/** Classifies a failed call `what` (e.g. "list nodes") into a KubernetesError with a clear one-line message. */
export function classifyApiError(what: string, err: unknown): KubernetesError {
  const status = httpStatusOf(err);
  const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message.split('\n')[0]}` : '';
  const detail = err instanceof Error ? `${err.message.split('\n')[0]}${cause}` : String(err);
  if (status === 403) {
    return new KubernetesError(
      'ERR_GANNET_K8S_FORBIDDEN',
      `${what}: forbidden (HTTP 403); check the gannet ClusterRole and its binding to the gannet ServiceAccount`,
      { cause: err },
    );
  }
  if (status === undefined || status >= 500 || status === 429) {
    return new KubernetesError(
      'ERR_GANNET_K8S_UNREACHABLE',
      `${what}: API server unreachable (${status !== undefined ? `HTTP ${status}: ` : ''}${detail}); keeping the last known config`,
      { cause: err },
    );
  }
  return new KubernetesError('ERR_GANNET_K8S_API', `${what}: HTTP ${status}: ${detail}`, { cause: err });
}

/** Retry-After of a 429/503/504 answer in ms (client-node's ApiException headers, or our watch's error). */
export function retryAfterMsOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { retryAfterSeconds?: unknown; headers?: Record<string, string> };
  const raw = typeof e.retryAfterSeconds === 'number' ? e.retryAfterSeconds : Number(e.headers?.['retry-after']);
  return Number.isFinite(raw) && raw >= 0 ? Math.min(raw, 600) * 1000 : undefined;
}

/** The Status body of a failed call, when the server sent one. */
function statusBodyOf(err: unknown): { reason?: string; details?: { causes?: { reason?: string }[] } } {
  const body = (err as { body?: unknown })?.body;
  if (typeof body === 'string') {
    try {
      return JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (typeof body === 'object' && body !== null) return body;
  const reason = (err as { reason?: unknown })?.reason;
  return typeof reason === 'string' ? { reason } : {};
}

/**
 * Whether a list from a given resourceVersion cannot be served from the watch cache: too old (410 Expired) or newer
 * than the server has (504 with cause ResourceVersionTooLarge). client-go then falls back to a consistent read.
 */
export function isResourceVersionUnavailable(err: unknown): boolean {
  const status = httpStatusOf(err);
  if (status === 410) return true;
  const s = statusBodyOf(err);
  return (
    s.reason === 'Expired' ||
    s.reason === 'Gone' ||
    (s.details?.causes ?? []).some((c) => c.reason === 'ResourceVersionTooLarge')
  );
}
