// Vitest globalSetup for the edge project: starts the local HTTP targets and provides their URLs to tests in workerd.
import type { TestProject } from "vitest/node";
import { startTargets } from "./services/targets.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Base URL of test/services/targets.ts, e.g. http://127.0.0.1:41234 */
    targetsUrl: string;
    /** The same routes on another port (another origin). */
    altTargetsUrl: string;
    /** A loopback URL whose port refuses connections. */
    refusedUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const targets = await startTargets();
  project.provide("targetsUrl", targets.baseUrl);
  project.provide("altTargetsUrl", targets.altBaseUrl);
  project.provide("refusedUrl", targets.refusedUrl);
  return () => targets.close();
}
