/**
 * The one Node.js major of this project. The functions' Lambda runtime
 * (`nodejs24.x`) and esbuild target are built from it, and every npm script
 * runs on it too: package.json pins the `node` package (a Node.js build from
 * the npm registry, whose binary npm puts first on each script's path) to
 * this major, and `engines` names it. test/unit/node-version.test.ts fails
 * when any of them disagree.
 */
export const NODE_MAJOR = 24;

/** The Lambda runtime identifier, `nodejs24.x`. */
export const LAMBDA_NODE_RUNTIME = `nodejs${NODE_MAJOR}.x`;
