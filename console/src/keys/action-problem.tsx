import type { Outcome } from './use-key-mutation';
import { isStale } from './use-key-mutation';

/** A refused change, said plainly where the user acted; when the key had changed meanwhile, the row has been refreshed. */
export function ActionProblem({ outcome }: { outcome: Extract<Outcome<unknown>, { ok: false }> | null }) {
  if (!outcome) return null;
  return (
    <p className="alert" role="alert">
      {outcome.message}
      {isStale(outcome.error) && ' The list now shows the key as it is.'}
    </p>
  );
}
