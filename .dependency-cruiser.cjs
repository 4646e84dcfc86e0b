// Import-cycle check (test/repo/cycles.test.ts, `npm run cycles`): one rule, no circular imports in the
// sources of contract/, edge/src, probe-agent/src and ui/src. Type-only imports count: a cycle of
// `import type` still means a piece sits in the wrong module.
/** @type {import("dependency-cruiser").IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      severity: "error",
      comment:
        "A module reaches itself through its imports (type-only imports included); move the shared piece to a module both can import.",
      from: { path: "^(contract|edge/src|probe-agent/src|ui/src)/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "(^|/)node_modules/" },
    exclude: { path: "(^|/)(node_modules|dist|\\.artifacts|\\.wrangler)/" },
    includeOnly: "^(contract|edge/src|probe-agent/src|ui/src)/",
    // Parse the TypeScript sources as written, so `import type` and type-only re-exports are dependencies too.
    tsPreCompilationDeps: true,
    // Imports name their `.ts` files (allowImportingTsExtensions); the base config holds the shared compiler options.
    tsConfig: { fileName: "tsconfig.base.json" },
    enhancedResolveOptions: {
      extensions: [".ts", ".mjs", ".js", ".json"],
      conditionNames: ["import", "require", "node", "default", "types"],
      mainFields: ["module", "main", "types"],
    },
    skipAnalysisNotInRules: true,
  },
};
