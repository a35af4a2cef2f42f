// A subcommand that loads its module only when it runs (or its help is shown): citty resolves a function
// in a command table on use, and the bundler keeps a dynamically imported module's code unevaluated until then.

/** `lazy(() => import("./serve.ts"))`: the module's default export, loaded on first use. */
export function lazy<T>(load: () => Promise<{ default: T }>): () => Promise<T> {
  return () => load().then((m) => m.default);
}
