// A Secret volume laid out and updated the way the kubelet does it (its AtomicWriter), for tests of token reloading:
// the files live in a timestamped directory, `..data` links to it, and each key is a link `key -> ..data/key`.
// An update writes a new timestamped directory, links `..data_tmp` to it, renames that link over `..data` (the one
// atomic step), then removes the old directory: the key's own link never changes, which is why watching it sees nothing.
import { mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

export type SecretVolume = {
  dir: string;
  /** The path a container reads a key at, e.g. `<dir>/token`. */
  file(key: string): string;
  /** Replaces every key's content in one atomic swap. */
  update(files: Record<string, string>): void;
};

let generation = 0;

/** Creates the volume in `dir` (which must exist) with its first content. */
export function secretVolume(dir: string, files: Record<string, string>): SecretVolume {
  const keys = Object.keys(files);
  const write = (content: Record<string, string>) => {
    // The kubelet names them `..2024_05_01_12_00_00.123456789`; a counter keeps them apart within one millisecond.
    const stamp = `..${new Date().toISOString().replace(/[-:T]/g, "_").replace("Z", "")}.${++generation}`;
    mkdirSync(path.join(dir, stamp));
    for (const [key, text] of Object.entries(content)) writeFileSync(path.join(dir, stamp, key), text, { mode: 0o644 });
    return stamp;
  };
  const first = write(files);
  symlinkSync(first, path.join(dir, "..data"));
  for (const key of keys) symlinkSync(path.join("..data", key), path.join(dir, key));
  return {
    dir,
    file: (key) => path.join(dir, key),
    update(content) {
      const old = readlinkSync(path.join(dir, "..data"));
      const next = write(content);
      const tmp = path.join(dir, "..data_tmp");
      symlinkSync(next, tmp);
      renameSync(tmp, path.join(dir, "..data"));
      rmSync(path.join(dir, old), { recursive: true, force: true });
    },
  };
}
