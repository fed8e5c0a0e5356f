/**
 * Jump to where a model is declared: its notebook cell (by the cell's id, or its execution count)
 * or its file and line (opened in the editor).
 */
import type { JupyterFrontEnd } from '@jupyterlab/application';
import { PageConfig } from '@jupyterlab/coreutils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { IModelInfo } from './link';

/** The cell of `panel` that declared `model`, or -1. */
export function declaringCell(panel: NotebookPanel, model: IModelInfo): number {
  const cells = panel.content.widgets;
  const count = (i: number) => (cells[i].model as any).executionCount as number | null;
  const byId = cells
    .map((cell, i) => (model.cell_ids.includes(cell.model.id) ? i : -1))
    .filter(i => i >= 0);
  const exact = byId.find(i => model.cell !== null && count(i) === model.cell);
  if (exact !== undefined) {
    return exact;
  }
  if (byId.length) {
    return byId[0];
  }
  return model.cell === null ? -1 : cells.findIndex((_, i) => count(i) === model.cell);
}

/** The path of an absolute file as the Jupyter server names it, or null outside its root. */
export function serverPath(file: string): string | null {
  const root = PageConfig.getOption('serverRoot').replace(/\/+$/, '');
  if (root && file.startsWith(root + '/')) {
    return file.slice(root.length + 1);
  }
  return null;
}

/** Show where `model` is declared; returns a sentence saying why not when it cannot. */
export async function openOrigin(
  app: JupyterFrontEnd,
  panel: NotebookPanel,
  model: IModelInfo
): Promise<string | null> {
  if (model.file === null) {
    const index = declaringCell(panel, model);
    if (index < 0) {
      return `model '${model.name}' was declared in ${model.origin}, which is not a cell of this notebook`;
    }
    const notebook = panel.content;
    app.shell.activateById(panel.id);
    notebook.activeCellIndex = index;
    notebook.deselectAll();
    await notebook.scrollToItem(index, 'center');
    notebook.activeCell?.node.classList.add('interlace-jumped');
    setTimeout(() => notebook.widgets[index]?.node.classList.remove('interlace-jumped'), 1500);
    return null;
  }
  const path = serverPath(model.file);
  if (path === null) {
    return `model '${model.name}' is declared in ${model.file}, outside the Jupyter server's root`;
  }
  const widget: any = await app.commands.execute('docmanager:open', { path });
  await widget?.context?.ready;
  const editor = widget?.content?.editor;
  if (editor && model.line) {
    editor.setCursorPosition({ line: model.line - 1, column: 0 });
    editor.revealPosition?.({ line: model.line - 1, column: 0 });
    editor.focus();
  }
  return null;
}
