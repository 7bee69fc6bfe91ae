import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { ValidationError } from '../domain/errors';

/** Decodes a Relay global id of the given type, or rejects it as malformed input. */
export function parseGlobalId(globalId: string, typename: string, path = 'id'): string {
  try {
    const decoded = decodeGlobalID(globalId);
    if (decoded.typename === typename && decoded.id.length <= 200) return decoded.id;
  } catch {
    // falls through to the same error as a wrong type
  }
  throw new ValidationError([{ path, message: `${path} is not a valid ${typename} id` }]);
}

export { encodeGlobalID };
