/**
 * interlace in JupyterLab: SQL highlighting and completion in `%%interlace_model` cells, the
 * models sidebar, go to definition. Everything the kernel knows comes over the comm `interlace`
 * (interlace/magics/comm.py), opened by `%load_ext interlace`.
 */
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { ICompletionProviderManager } from '@jupyterlab/completer';
import { ILSPCodeExtractorsManager } from '@jupyterlab/lsp';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ModelCompletionProvider, quietKernelProvider } from './completer';
import { addGoToDefinition } from './definition';
import { followNotebooks, registerLanguage } from './highlight';
import { LinkRegistry } from './link';
import { ModelCellExtractor } from './lsp';
import { ModelsSidebar } from './sidebar';

const links = new LinkRegistry();

const highlighting: JupyterFrontEndPlugin<void> = {
  id: 'interlace-jupyterlab:sql',
  description: 'SQL highlighting in %%interlace_model cells',
  autoStart: true,
  requires: [IEditorLanguageRegistry, INotebookTracker],
  optional: [ILSPCodeExtractorsManager],
  activate: (
    _app: JupyterFrontEnd,
    languages: IEditorLanguageRegistry,
    tracker: INotebookTracker,
    extractors: ILSPCodeExtractorsManager | null
  ) => {
    registerLanguage(languages);
    followNotebooks(tracker);
    extractors?.register(new ModelCellExtractor(), 'python');
  }
};

const completion: JupyterFrontEndPlugin<void> = {
  id: 'interlace-jupyterlab:completion',
  description: 'Model, table and column names in %%interlace_model cells',
  autoStart: true,
  requires: [ICompletionProviderManager],
  activate: (app: JupyterFrontEnd, manager: ICompletionProviderManager) => {
    manager.registerProvider(new ModelCompletionProvider(links));
    void app.restored.then(() => quietKernelProvider(manager));
  }
};

const sidebar: JupyterFrontEndPlugin<void> = {
  id: 'interlace-jupyterlab:sidebar',
  description: "The session's models, their status, and buttons to run them",
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, restorer: ILayoutRestorer | null) => {
    const widget = new ModelsSidebar(app, tracker, links);
    app.shell.add(widget, 'left', { rank: 600 });
    restorer?.add(widget, widget.id);
  }
};

const definition: JupyterFrontEndPlugin<void> = {
  id: 'interlace-jupyterlab:definition',
  description: 'Go from a model name to the cell or file that declares it',
  autoStart: true,
  requires: [INotebookTracker],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker) => {
    addGoToDefinition(app, tracker, links);
  }
};

export default [highlighting, completion, sidebar, definition];
