// The conversation the chat page shows, remembered in localStorage so that /chat (the navigation link, a new tab)
// returns to it; the page's URL (/chat/{id}) is what a reload keeps. Storage may be unavailable (privacy settings):
// then only the URL remembers.

const KEY = 'agentsystem.chat.conversation';

export function rememberedConversation(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Remembers id, or forgets the conversation when it is null. */
export function rememberConversation(id: string | null): void {
  try {
    if (id === null) localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, id);
  } catch {
    // nothing to do: the URL still holds it
  }
}
