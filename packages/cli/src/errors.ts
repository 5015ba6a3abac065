/** The command line itself is wrong (missing key, bad option value): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
