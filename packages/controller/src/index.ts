// Public API of @gannet/controller: the agent, its config, the CLI and the lab (see ../../../shared/DESIGN.md).
export { Agent, type RouteView } from './agent.js';
export { main } from './cli/main.js';
export { loadConfigFile, parseConfig } from './config/load-config.js';
export type { AgentConfig, PeerConfig, PrefixRule } from './config/types.js';
export { ConfigError, GannetError } from './errors.js';
export { type FaultReport, renderFaultReport } from './lab/fault-report.js';
export { AGENT_NODE_FLAGS, Lab, type LabState } from './lab/lab.js';
export { labReport, type NodeReport, pingAll, routesComplete, sessionsUp } from './lab/lab-check.js';
export { CNI_RESULTS_DIR, containerdConfig, PAUSE_IMAGE, pauseImageTar, shimPids } from './lab/lab-containerd.js';
export { measureFault, routeSnapshot, saveBaseline } from './lab/lab-fault-run.js';
export { cutLink, findLink, healLink, killMember, restartMember } from './lab/lab-faults.js';
export {
  addLabPod,
  agentPolicyStatus,
  applyPolicyFile,
  deleteLabPod,
  deletePolicy,
  OUTSIDE_ADDRESS,
  policyApplies,
  removePolicyTables,
  waitEnforced,
} from './lab/lab-policy.js';
export { probeMatrix } from './lab/lab-policy-command.js';
export { type MatrixPod, ProbeHelper, type ProbeProtocol, probeAll, renderMatrix } from './lab/lab-probe.js';
export { fabricSessionsUp } from './lab/lab-router-status.js';
export { type LabOptions, type LabPlan, planLab } from './lab/topology.js';
export { createLogger, type Logger } from './log.js';
export type { PolicyEngineStatus } from './network-policy/policy-engine.js';
export { type AgentHandle, runAgent } from './run-agent.js';
