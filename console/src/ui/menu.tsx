import { useEffect, useId, useRef, useState } from 'react';

// A menu button (WAI-ARIA menu pattern): Enter, Space or ArrowDown opens it on its first
// item; arrows, Home and End move; Escape or Tab closes it and focus returns to the button.
// The list is placed with fixed positioning under its button, so a table that scrolls
// sideways (narrow screens) neither clips it nor scrolls to it; it follows its button on scroll.

export interface MenuItem {
  label: string;
  onSelect(): void;
}

function itemsOf(list: HTMLElement | null): HTMLElement[] {
  return [...(list?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
}

function focusItem(list: HTMLElement | null, index: number): void {
  const all = itemsOf(list);
  if (all.length > 0) all[(index + all.length) % all.length]!.focus({ preventScroll: true });
}

/** Where focus goes for a key pressed in the open menu; null for keys the menu leaves alone. */
function targetIndex(key: string, current: number, count: number): number | null {
  if (key === 'ArrowDown') return current + 1;
  if (key === 'ArrowUp') return current - 1;
  if (key === 'Home') return 0;
  if (key === 'End') return count - 1;
  return null;
}

export function Menu({ label, items }: { label: string; items: MenuItem[] }) {
  const [open, setOpen] = useState(false);
  const [place, setPlace] = useState<{ top: number; right: number }>({ top: 0, right: 0 });
  const button = useRef<HTMLButtonElement>(null);
  const list = useRef<HTMLDivElement>(null);
  const id = useId();

  useEffect(() => {
    if (!open) return;
    const follow = () => {
      const rect = button.current!.getBoundingClientRect();
      setPlace({ top: rect.bottom + 4, right: Math.max(8, document.documentElement.clientWidth - rect.right) });
    };
    follow();
    requestAnimationFrame(() => focusItem(list.current, 0));
    const outside = (event: MouseEvent) => {
      if (!list.current?.contains(event.target as Node) && !button.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', outside);
    window.addEventListener('resize', follow);
    window.addEventListener('scroll', follow, true);
    return () => {
      document.removeEventListener('mousedown', outside);
      window.removeEventListener('resize', follow);
      window.removeEventListener('scroll', follow, true);
    };
  }, [open]);

  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape' || event.key === 'Tab') {
      if (event.key === 'Escape') event.preventDefault();
      setOpen(false);
      if (event.key === 'Escape') button.current?.focus();
      return;
    }
    const all = itemsOf(list.current);
    const index = targetIndex(event.key, all.indexOf(document.activeElement as HTMLElement), all.length);
    if (index === null) return;
    event.preventDefault();
    focusItem(list.current, index);
  };

  return (
    <div className="menu">
      <button
        ref={button}
        type="button"
        className="icon-button"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? id : undefined}
        onClick={() => setOpen((was) => !was)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown') {
            event.preventDefault();
            setOpen(true);
          }
        }}
      >
        <span aria-hidden="true">⋮</span>
      </button>
      {open && (
        <div ref={list} id={id} role="menu" aria-label={label} tabIndex={-1} className="menu-list" style={{ top: place.top, right: place.right }} onKeyDown={onKeyDown}>
          {items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              onClick={() => {
                // Focus back on the menu's button first: a dialog the item opens returns focus there.
                button.current?.focus();
                setOpen(false);
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
