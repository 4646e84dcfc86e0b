// Turns zod issues into the API's `issues` list: one entry per problem, each naming its path.
import type { z } from "zod";

export type Issue = { path: string; message: string };

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}

export function toIssues(error: z.ZodError): Issue[] {
  const out: Issue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path: formatPath([...issue.path, key]), message: "is not a known field" });
      continue;
    }
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      // Report the branch that got furthest rather than "invalid input".
      const best = issue.errors.reduce((a, b) => (b.length < a.length ? b : a));
      const first = best[0];
      if (first) {
        out.push({ path: formatPath([...issue.path, ...first.path]), message: first.message });
        continue;
      }
    }
    out.push({ path: formatPath(issue.path), message: issue.message });
  }
  return out;
}

/** A zod check (for superRefine) from a function that says what is wrong with a string, or null. */
export const problemCheck =
  (problem: (s: string) => string | null) =>
  (s: string, ctx: z.RefinementCtx): void => {
    const p = problem(s);
    if (p) ctx.addIssue({ code: "custom", message: p });
  };
