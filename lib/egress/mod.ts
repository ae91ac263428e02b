/** egress: the allow-listed way out of the sandbox (network_allow): host patterns and the proxy. */
export * from "./host_pattern.ts";
export * from "./proxy.ts";
