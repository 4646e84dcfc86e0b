#!/usr/bin/env node
// `npm run monitors -- plan|apply|validate|schema`: monitors as code (docs/monitors-as-code.md). Only wiring:
// the run itself is scripts/lib/monitors-cli.ts (Node's type stripping loads it and the contract).
import { main } from "./lib/monitors-cli.ts";

process.exitCode = await main(process.argv.slice(2), {
  env: process.env,
  cwd: process.env.INIT_CWD ?? process.cwd(),
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
});
