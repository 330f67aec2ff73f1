import type { Notice, Store } from '../state/store';

/** One live region for messages, so screen readers announce refusals and failures. */
export function NoticeBar({ store, notice }: { store: Store; notice: Notice | null }) {
  return (
    <div class="notice-region" role="alert" aria-live="assertive">
      {notice && (
        <div class={`notice notice-${notice.kind}`} key={notice.id}>
          <p class="notice-text">{notice.text}</p>
          <button type="button" class="notice-dismiss" aria-label="Dismiss message" onClick={() => store.dismissNotice()}>
            ×
          </button>
        </div>
      )}
    </div>
  );
}
