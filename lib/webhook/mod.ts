/** webhook: signed run webhooks — config, signatures, SSRF guard, one delivery attempt. */
export {
  readWebhookConfig,
  type WebhookConfig,
  webhookEventOf,
} from "./config.ts";
export { attemptDelivery, backoffMs } from "./deliver.ts";
export { verifyWebhook } from "./sign.ts";
