/**
 * Previous and next page by the API's cursors. The buttons stay focusable at the ends
 * (aria-disabled, not disabled), so focus is not dropped when the last page is reached.
 */
export function KeyPager({ hasPrevious, hasNext, onPrevious, onNext }: { hasPrevious: boolean; hasNext: boolean; onPrevious(): void; onNext(): void }) {
  return (
    <nav className="pager" aria-label="Pages of keys">
      <button type="button" aria-disabled={!hasPrevious} onClick={() => hasPrevious && onPrevious()}>
        Previous page
      </button>
      <button type="button" aria-disabled={!hasNext} onClick={() => hasNext && onNext()}>
        Next page
      </button>
    </nav>
  );
}
