// Where a Worker script is, from source and inside the compiled binary. scripts/build.sh embeds every
// src/*/worker*.ts as an extra entry point under the entry points' common root (src/), which the binary
// calls /$bunfs/root/ (B:/~BUN/root/ on Windows). There import.meta.url is the binary itself at that root
// for modules of the main entry, but the worker script's own path for modules bundled into a worker (a
// server thread starting its signing pool), so the root is cut out of the URL rather than resolved
// against it. From source the script sits next to the module that starts it.

const COMPILED_ROOT = /^.*?\/(?:\$bunfs|~BUN)\/root\//;

/** `pathFromSrc` is the script's path below src/ ("crypto/worker.ts"); `moduleUrl` the caller's import.meta.url. */
export function workerScriptUrl(moduleUrl: string, pathFromSrc: string): string {
  const root = COMPILED_ROOT.exec(moduleUrl)?.[0];
  if (root !== undefined) return new URL(pathFromSrc, root).href;
  const file = pathFromSrc.slice(pathFromSrc.lastIndexOf("/") + 1);
  return new URL(`./${file}`, moduleUrl).href;
}
