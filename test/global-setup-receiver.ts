// Vitest globalSetup for the edge project: the webhook receiver the alert delivery tests send to.
import type { TestProject } from "vitest/node";
import { startWebhookReceiver } from "./services/webhook-receiver.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of test/services/webhook-receiver.ts. */
    receiverUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const receiver = await startWebhookReceiver();
  project.provide("receiverUrl", receiver.url);
  return () => receiver.close();
}
