// Browser APIs the page uses where they exist (File System Access: Chromium only), which
// TypeScript's DOM library does not declare. For the type check only (tsconfig.json).
interface Window {
  showDirectoryPicker?(options?: { mode?: 'read' | 'readwrite' }): Promise<FileSystemDirectoryHandle>;
  showSaveFilePicker?(options?: { suggestedName?: string; types?: { description?: string; accept: Record<string, string[]> }[] }): Promise<FileSystemFileHandle>;
}
