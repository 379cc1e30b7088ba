/**
 * Waiting on work that may outlast a request: JupyterHub answers a start or stop at once when
 * it is quick, else "pending" while the work goes on.
 */

/** Resolves true if `promise` settles in `ms` (rethrowing its error), false if it is still going. */
export async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([promise.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A point that work reaches (its new state is in Redis), and the function that marks it reached. */
export function milestone(): { reached: Promise<void>; reach: () => void } {
  let reach!: () => void;
  const reached = new Promise<void>((r) => (reach = r));
  return { reached, reach };
}
