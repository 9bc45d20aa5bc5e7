/**
 * The local runtime runs each bundle on the Node.js that runs the runtime:
 * through npm that is the project's own Node.js (the pinned `node` package,
 * the same major as the functions' Lambda runtime). Started some other way
 * (`tsx local/main.ts` on the machine's Node.js, or where npm could not
 * install a Node.js build for this platform), the majors can differ: say so
 * once, since code that works on one major can fail on the other.
 */

/** `nodejs24.x` → 24; undefined for anything else. */
export function nodeMajorOf(runtime: string): number | undefined {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  return match ? Number(match[1]) : undefined;
}

/** The one line to print, or undefined when the host runs every function's Node.js major. */
export function hostMismatchNotice(
  functions: ReadonlyArray<{ displayName: string; runtime: string; code: unknown }>,
  hostVersion: string = process.versions.node,
): string | undefined {
  const hostMajor = Number(hostVersion.split('.')[0]);
  const other = functions.filter((fn) => {
    const major = nodeMajorOf(fn.runtime);
    return fn.code !== undefined && major !== undefined && major !== hostMajor;
  });
  if (other.length === 0) return undefined;
  const runtimes = [...new Set(other.map((fn) => fn.runtime))].sort().join(', ');
  return (
    `the functions are built for ${runtimes} but run here on Node.js ${hostVersion}: ` +
    'code that works on one can fail on the other. Start through npm (npm start), ' +
    "which runs the project's own Node.js from node_modules (npm ci installs it)"
  );
}
