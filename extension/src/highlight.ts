/**
 * SQL in `%%interlace_model` cells: such a cell's editor gets the language `interlace-sql`
 * (CodeMirror 6's SQL, PostgreSQL dialect, the closest to DuckDB); other code cells keep the
 * kernel's language. The cell's MIME type decides the editor's language, and the notebook sets
 * every code cell's MIME type to the kernel's: each change is answered by setting ours again.
 */
import type { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import type { ICellModel } from '@jupyterlab/cells';
import type { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { isModelCell } from './link';

export const MIME = 'text/x-interlace-sql';

export function registerLanguage(languages: IEditorLanguageRegistry): void {
  languages.addLanguage({
    name: 'interlace-sql',
    displayName: 'interlace SQL',
    mime: MIME,
    async load() {
      const sql = await languages.getLanguage('PostgreSQL');
      if (!sql?.support) {
        throw new Error('interlace: JupyterLab has no PostgreSQL language to highlight SQL with');
      }
      return sql.support;
    }
  });
}

/** Keep the MIME type of every code cell of every notebook in step with its source. */
export function followNotebooks(tracker: INotebookTracker): void {
  const hooked = new WeakSet<ICellModel>();
  const watch = (panel: NotebookPanel) => {
    const notebook = panel.content;
    const sync = (cell: ICellModel) => {
      if (cell.type !== 'code') {
        return;
      }
      const wanted = isModelCell(cell.sharedModel.getSource()) ? MIME : notebook.codeMimetype;
      if (cell.mimeType !== wanted) {
        cell.mimeType = wanted;
      }
    };
    const hookAll = () => {
      const cells = notebook.model?.cells;
      if (!cells) {
        return;
      }
      for (let i = 0; i < cells.length; i++) {
        const cell = cells.get(i);
        if (!hooked.has(cell)) {
          hooked.add(cell);
          cell.contentChanged.connect(() => sync(cell));
          cell.mimeTypeChanged.connect(() => sync(cell));
        }
        sync(cell);
      }
    };
    notebook.modelContentChanged.connect(hookAll);
    panel.context.ready.then(hookAll);
    hookAll();
  };
  tracker.widgetAdded.connect((_, panel) => watch(panel));
  tracker.forEach(watch);
}
