/**
 * The Lambda runtime every function deploys on. infra/ deploys it, bundle/index.ts targets its Node,
 * and local/ runs the functions on the same Node major when it is installed.
 *
 * nodejs24.x is Lambda's current Node runtime (Amazon Linux 2023, deprecation Apr 30, 2028: "Building
 * Lambda functions with Node.js", AWS Lambda Developer Guide). From Node.js 24 on, Lambda refuses
 * callback-style handlers ("Lambda handlers in Node.js", same guide): every handler here is async.
 */
export const LAMBDA_RUNTIME = 'nodejs24.x';

/** The Node major of LAMBDA_RUNTIME: 24. */
export const LAMBDA_NODE_MAJOR = Number(/^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME)?.[1]);
