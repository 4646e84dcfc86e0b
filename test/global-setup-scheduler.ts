// Vitest globalSetup for the edge project: the counting target the scheduler tests check against.
import type { TestProject } from "vitest/node";
import { startCountingTarget } from "./services/counting-target.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of test/services/counting-target.ts. */
    countingUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const target = await startCountingTarget();
  project.provide("countingUrl", target.url);
  return () => target.close();
}
