// What every page of the UI provides to the shell in main.ts: how to load its data, render it and title it.
export type Page<T> = {
  load(): Promise<T>;
  render(data: T, now: number): Node;
  title(data: T): string;
  /** Given a way to load and render again now (the status page's "Show more"). */
  setReload?(reload: () => void): void;
};
