/** secrets: operator secrets that work orders hand to acceptance and setup commands. */
export { CommandSecrets, readCommandSecrets } from "./command_secrets.ts";
