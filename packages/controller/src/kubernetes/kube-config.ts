// Where Kubernetes mode finds its API server and its node name.
import { KubeConfig } from '@kubernetes/client-node';
import { KubernetesError } from './kubernetes-error.js';

/** In-cluster (the pod's ServiceAccount) when `file` is absent, else that kubeconfig file. */
export function loadKubeConfig(file?: string): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (file) kc.loadFromFile(file);
    else kc.loadFromCluster();
  } catch (e) {
    const where = file ? `kubeconfig ${file}` : 'in-cluster config';
    throw new KubernetesError('ERR_GANNET_K8S_CONFIG', `${where}: ${(e as Error).message}`, { cause: e });
  }
  const server = kc.getCurrentCluster()?.server;
  if (!server || server.includes('undefined')) {
    throw new KubernetesError(
      'ERR_GANNET_K8S_CONFIG',
      file
        ? `kubeconfig ${file}: no current cluster with a server`
        : 'not running in a pod (KUBERNETES_SERVICE_HOST unset); pass --kubeconfig FILE',
    );
  }
  return kc;
}

/** NODE_NAME from the environment (the DaemonSet sets it from spec.nodeName). */
export function nodeNameFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const name = env.NODE_NAME?.trim();
  if (!name)
    throw new KubernetesError(
      'ERR_GANNET_K8S_CONFIG',
      'NODE_NAME is not set (the DaemonSet sets it from spec.nodeName)',
    );
  return name;
}
