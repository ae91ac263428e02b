/** Every forge kind AOS talks to, as a table: a new forge is one row. */
import { bitbucketForge } from "./bitbucket.ts";
import { giteaForge } from "./gitea.ts";
import { githubForge } from "./github.ts";
import { gitlabForge } from "./gitlab.ts";
import type { Forge } from "./types.ts";

/** Each forge kind, in documentation order. */
export const FORGES = {
  github: githubForge,
  gitlab: gitlabForge,
  gitea: giteaForge,
  bitbucket: bitbucketForge,
} as const satisfies Record<string, Forge>;

/** The forge software behind a host: picks the git user name and the pull-request API. */
export type ForgeKind = keyof typeof FORGES;

/** Every forge kind, in documentation order. */
export const FORGE_KINDS = Object.keys(FORGES) as ForgeKind[];

/** The kind of a host known without being told (github.com, *.ghe.com), or null. */
export function knownForgeKind(hostname: string): ForgeKind | null {
  return FORGE_KINDS.find((kind) =>
    (FORGES[kind] as Forge).knownHosts?.test(hostname)
  ) ?? null;
}

/** What pull requests need of a host's credential (lib/git/credentials.ts has them). */
export interface ForgeCredential {
  kind: ForgeKind;
  /** Forge API base URL, no trailing slash. */
  api: string;
  token: string;
  username: string;
  insecureHttp: boolean;
  /** Where it came from, for messages. */
  source: string;
}

/** Credentials by host, as pull requests look them up. */
export interface ForgeCredentials {
  /** The credential for the host of an http(s) URL, or null. */
  forUrl(url: string): ForgeCredential | null;
}
