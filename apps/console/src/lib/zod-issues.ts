/** zod issues of the console's own checks, in plain words, keyed by their dotted path. */
import type { z } from 'zod';

export function plainIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      return issue.origin === 'number'
        ? `Must be at least ${String(issue.minimum)}.`
        : Number(issue.minimum) <= 1
          ? 'Required.'
          : `Use at least ${String(issue.minimum)} characters.`;
    case 'too_big':
      return issue.origin === 'number'
        ? `Must be at most ${String(issue.maximum)}.`
        : `Use at most ${String(issue.maximum)} characters.`;
    case 'invalid_type':
      return issue.expected === 'number' ? 'Enter a whole number.' : 'Required.';
    case 'invalid_format':
      return issue.format === 'url'
        ? 'Enter a full URL starting with http:// or https://.'
        : issue.message;
    default:
      return issue.message;
  }
}

export function issuesByPath(error: z.ZodError): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of error.issues) {
    const path = issue.path.join('.');
    if (!(path in fields)) fields[path] = plainIssue(issue);
  }
  return fields;
}
