/** egress: the allow-listed way out of the sandbox (network_allow): host patterns and the proxy. */
export { hostPatternProblem, patternCovered } from "./host_pattern.ts";
export {
  type EgressEvent,
  type EgressProxy,
  startEgressProxy,
  type TestTarget,
} from "./proxy.ts";
