/**
 * The local runtime runs each bundle on this machine's Node.js, whatever
 * runtime the template names. When the template asks for a newer Node.js
 * than the host has, say so once: the bundle still runs (esbuild's target
 * only limits syntax, and our code keeps to what Node.js 20 runs), but an
 * API that only the newer Node.js has would fail here and not on Lambda.
 */

/** `nodejs24.x` → 24; undefined for anything else. */
export function nodeMajorOf(runtime: string): number | undefined {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  return match ? Number(match[1]) : undefined;
}

/** The one line to print, or undefined when the host is as new as every function's runtime. */
export function olderHostNotice(
  functions: ReadonlyArray<{ displayName: string; runtime: string; code: unknown }>,
  hostVersion: string = process.versions.node,
): string | undefined {
  const hostMajor = Number(hostVersion.split('.')[0]);
  const newer = functions.filter((fn) => {
    const major = nodeMajorOf(fn.runtime);
    return fn.code !== undefined && major !== undefined && major > hostMajor;
  });
  if (newer.length === 0) return undefined;
  const runtimes = [...new Set(newer.map((fn) => fn.runtime))].sort().join(', ');
  return (
    `the functions are built for ${runtimes} and run here on this machine's Node.js ${hostVersion}, ` +
    'as they are (nothing is transpiled again): code that needs a newer Node.js API would fail here, not on Lambda'
  );
}
