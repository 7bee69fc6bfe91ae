import type { KeyRow } from '../api/types';
import { navigate } from '../shell/routing';
import { Menu, type MenuItem } from '../ui/menu';

export type KeyAction = 'deactivate' | 'reactivate' | 'roll' | 'delete';

/** The row's ⋮ menu: only what the key's status allows. */
export function KeyMenu({ apiKey, projectId, onAction }: { apiKey: KeyRow; projectId: string; onAction(action: KeyAction, key: KeyRow): void }) {
  const items: MenuItem[] = [{ label: 'View details', onSelect: () => navigate({ view: 'key', projectId, keyId: apiKey.id }) }];
  const act = (action: KeyAction, label: string) => items.push({ label, onSelect: () => onAction(action, apiKey) });
  if (apiKey.status === 'ACTIVE') act('deactivate', 'Deactivate');
  if (apiKey.status === 'INACTIVE') act('reactivate', 'Reactivate');
  if (apiKey.status === 'ACTIVE' && !apiKey.rotatedTo) act('roll', 'Roll');
  if (apiKey.status !== 'DELETED') act('delete', 'Delete');
  return <Menu label={`Actions for ${apiKey.name}`} items={items} />;
}
